"""Who may do what over REST: roles of API keys, and authentication (SPEC §1 User, §6.2)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from leadflow.services import keys
from tests.integration.api_world import (
    API,
    PATHS,
    SAMPLES,
    create,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
    problem,
)

WRITES = {
    "admin": set(PATHS),
    "marketer": set(PATHS) - {"users"},
    "sales": {"contacts", "accounts", "leads"},
    "viewer": set(),
}


@pytest.mark.parametrize("role", ["marketer", "sales", "viewer"])
def test_role_may_write_only_its_resources(
    api: TestClient, make_key, site, role: str  # type: ignore[no-untyped-def]
) -> None:
    headers = make_key(site.company, role).headers
    for sample in SAMPLES:
        record = create(api, sample)  # made by the admin
        url = f"{API}/{sample.path}/{record['id']}"
        assert api.get(url, headers=headers).json() == record, sample.path
        assert items(api, sample.path, headers) != []
        if sample.path in WRITES[role]:
            assert api.patch(url, json=sample.change, headers=headers).status_code == 200
            assert api.delete(url, headers=headers).status_code == 204
            post(api, sample.path, sample.body, headers)
        else:
            before = items(api, sample.path)
            for answer in (api.post(f"{API}/{sample.path}", json=sample.body, headers=headers),
                           api.patch(url, json=sample.change, headers=headers),
                           api.delete(url, headers=headers)):
                body = problem(answer, 403)
                assert role in body["detail"] and sample.path in body["detail"]
            assert items(api, sample.path) == before
        for path in (sample.path, *(p for p, _ in sample.needs)):
            for made in items(api, path):
                api.delete(f"{API}/{path}/{made['id']}")


@pytest.mark.parametrize("role", ["marketer", "sales", "viewer"])
def test_only_admins_change_company_settings(
    api: TestClient, make_key, site, role: str  # type: ignore[no-untyped-def]
) -> None:
    headers = make_key(site.company, role).headers
    assert api.get(f"{API}/companies/site/settings", headers=headers).status_code == 200
    for answer in (
        api.patch(f"{API}/companies/site/settings", json={"leads.creation_scope": "account"},
                  headers=headers),
        api.patch(f"{API}/companies/site", json={"name": "Mine"}, headers=headers),
        api.post(f"{API}/companies", json={"key": "acme", "name": "Acme"}, headers=headers),
    ):
        problem(answer, 403)
    assert api.get(f"{API}/companies/site").json()["settings"]["leads.creation_scope"] == "contact"
    assert len(items(api, "companies")) == 1


def test_client_admin_may_change_its_own_settings_but_not_create_companies(
    api: TestClient, make_client_company  # type: ignore[no-untyped-def]
) -> None:
    acme = make_client_company("acme").headers
    answer = api.patch(f"{API}/companies/acme/settings", json={"leads.creation_scope": "account"},
                       headers=acme)
    assert answer.status_code == 200 and answer.json()["leads.creation_scope"] == "account"
    problem(api.post(f"{API}/companies", json={"key": "x", "name": "X"}, headers=acme), 403)
    problem(api.delete(f"{API}/companies/acme", headers=acme), 403)


def test_an_ingest_key_cannot_read_or_write_records(api: TestClient, make_key, site) -> None:  # type: ignore[no-untyped-def]
    headers = make_key(site.company, "ingest").headers
    for sample in SAMPLES:
        record = create(api, sample)
        url = f"{API}/{sample.path}/{record['id']}"
        problem(api.get(f"{API}/{sample.path}", headers=headers), 403)
        problem(api.get(url, headers=headers), 403)
        problem(api.post(f"{API}/{sample.path}", json=sample.body, headers=headers), 403)
        problem(api.patch(url, json=sample.change, headers=headers), 403)
        problem(api.delete(url, headers=headers), 403)
    for path in ("companies", "companies/site", "companies/site/settings"):
        problem(api.get(f"{API}/{path}", headers=headers), 403)


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Bearer lf_not-a-real-key", "Basic dXNlcjpwYXNz", "lf_x",
])
def test_missing_or_invalid_key_is_401(api: TestClient, authorization: str | None) -> None:
    del api.headers["Authorization"]
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in (("get", "programs"), ("get", "me"), ("get", "companies"),
                         ("post", "programs"), ("get", "leads/1"), ("delete", "contacts/1")):
        answer = getattr(api, method)(f"{API}/{path}", headers=headers)
        assert problem(answer, 401)["type"].endswith("unauthorized")


def test_a_revoked_key_is_401(api: TestClient, db: Database, site, make_key) -> None:  # type: ignore[no-untyped-def]
    tenant = make_key(site.company, "marketer")
    assert api.get(f"{API}/programs", headers=tenant.headers).status_code == 200
    with db.transaction() as session:
        row = keys.authenticate(session, tenant.key)
        keys.revoke_key(session, site.company, row.key_id)  # type: ignore[arg-type]
    answer = problem(api.get(f"{API}/programs", headers=tenant.headers), 401)
    assert "revoked" in answer["detail"]
    assert api.get(f"{API}/programs", headers=site.headers).status_code == 200


def test_the_key_is_read_from_a_bearer_header_case_insensitively(api: TestClient, site) -> None:  # type: ignore[no-untyped-def]
    answer = api.get(f"{API}/me", headers={"Authorization": f"bearer {site.key}"})
    assert answer.status_code == 200 and answer.json()["role"] == "admin"
