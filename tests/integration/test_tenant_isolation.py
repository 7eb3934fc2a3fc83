"""No key ever sees or touches another company's records (SPEC §1 Company, §7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_world import (
    API,
    PATHS,
    REFS,
    SAMPLES,
    Ref,
    Sample,
    create,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
    problem,
)


@dataclass
class Two:
    """The HTTP client and the admin headers of two client companies, A (acme) and B."""

    http: TestClient
    a: dict[str, str]
    b: dict[str, str]
    site: dict[str, str]


@pytest.fixture
def two(api: TestClient, site, make_client_company) -> Two:  # type: ignore[no-untyped-def]
    # Every request below names its key, overriding the site admin's default one.
    return Two(api, make_client_company("acme").headers, make_client_company("globex").headers,
               site.headers)


def _everything(two: Two, headers: dict[str, str]) -> dict[str, Any]:
    return {path: items(two.http, path, headers) for path in PATHS}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_another_company_cannot_read_change_or_delete_a_record(two: Two, sample: Sample) -> None:
    record = create(two.http, sample, two.a)
    before = _everything(two, two.a)
    names = [str(record["id"]), *([sample.natural] if sample.natural else [])]
    for name in names:
        url = f"{API}/{sample.path}/{name}"
        problem(two.http.get(url, headers=two.b), 404)
        problem(two.http.patch(url, json=sample.change, headers=two.b), 404)
        problem(two.http.delete(url, headers=two.b), 404)
    assert items(two.http, sample.path, two.b) == []
    assert items(two.http, sample.path, two.b, id=str(record["id"])) == []
    search = str(sample.natural or sample.body.get("key") or sample.body.get("status"))
    assert items(two.http, sample.path, two.a, q=search) != []
    assert items(two.http, sample.path, two.b, q=search) == []
    assert _everything(two, two.a) == before


@pytest.mark.parametrize("ref", REFS, ids=lambda r: r.id)
def test_another_companys_record_cannot_be_referenced(two: Two, ref: Ref) -> None:
    theirs = post(two.http, ref.target, ref.target_body, two.a)
    post(two.http, "contacts", {"email": "lu@x.test"}, two.b)
    before = items(two.http, ref.path, two.b)
    by_id = two.http.post(f"{API}/{ref.path}", json={**ref.body, ref.column: theirs["id"]},
                          headers=two.b)
    assert field_errors(by_id)[ref.column] == f"no {_label(ref)} with id {theirs['id']}"
    by_key = two.http.post(f"{API}/{ref.path}", json={**ref.body, ref.name: ref.key},
                           headers=two.b)
    assert field_errors(by_key)[ref.name].startswith("no ")
    assert items(two.http, ref.path, two.b) == before


def _label(ref: Ref) -> str:
    return {"parent_domain": "parent account", "owner": "owner"}.get(
        ref.name, ref.target.rstrip("s").replace("-", " "))


def test_patch_cannot_point_a_record_at_another_companys_record(two: Two) -> None:
    theirs = post(two.http, "programs", {"key": "launch", "name": "Launch"}, two.a)
    mine = post(two.http, "campaigns", {"key": "spring", "name": "Spring"}, two.b)
    answer = two.http.patch(f"{API}/campaigns/{mine['id']}", json={"program_id": theirs["id"]},
                            headers=two.b)
    assert "program_id" in field_errors(answer)
    assert two.http.get(f"{API}/campaigns/spring", headers=two.b).json()["program_id"] is None


def test_filters_by_natural_key_never_match_another_companys_records(two: Two) -> None:
    post(two.http, "accounts", {"name": "Acme", "domain": "acme.test"}, two.a)
    post(two.http, "contacts", {"email": "ana@acme.test", "account_domain": "acme.test"}, two.a)
    post(two.http, "campaigns", {"key": "spring", "name": "Spring"}, two.a)
    post(two.http, "leads", {"contact_email": "ana@acme.test", "campaign": "spring"}, two.a)
    a_lead = items(two.http, "leads", two.a)[0]
    post(two.http, "contacts", {"email": "ana@acme.test"}, two.b)  # same email, other company
    post(two.http, "leads", {"contact_email": "ana@acme.test"}, two.b)
    for params in ({"campaign": "spring"}, {"campaign_id": str(a_lead["campaign_id"])},
                   {"account_domain": "acme.test"}, {"id": str(a_lead["id"])}):
        assert items(two.http, "leads", two.b, **params) == []
    assert [c["account_id"] for c in items(two.http, "contacts", two.b)] == [None]
    assert len(items(two.http, "leads", two.b, contact_email="ana@acme.test")) == 1


@pytest.mark.parametrize("path", PATHS)
def test_naming_another_client_company_is_forbidden(two: Two, path: str) -> None:
    record = create(two.http, next(s for s in SAMPLES if s.path == path), two.a)
    before = _everything(two, two.a)
    as_a = {**two.b, "X-Company": "acme"}
    url = f"{API}/{path}/{record['id']}"
    for answer in (two.http.get(f"{API}/{path}", headers=as_a), two.http.get(url, headers=as_a),
                   two.http.post(f"{API}/{path}", json={}, headers=as_a),
                   two.http.patch(url, json={}, headers=as_a),
                   two.http.delete(url, headers=as_a)):
        assert "site company" in problem(answer, 403)["detail"]
    assert _everything(two, two.a) == before


@pytest.mark.parametrize("method", ["get", "delete"])
def test_naming_another_company_is_forbidden_for_every_route(two: Two, method: str) -> None:
    as_a = {**two.b, "X-Company": "acme"}
    for path in (*PATHS, "companies"):
        problem(getattr(two.http, method)(f"{API}/{path}/1", headers=as_a), 403)
    problem(two.http.get(f"{API}/me", headers=as_a), 403)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_site_admin_acts_on_a_client_by_naming_it(two: Two, sample: Sample) -> None:
    as_acme = {**two.site, "X-Company": "acme"}
    record = create(two.http, sample, as_acme)
    url = f"{API}/{sample.path}/{record['id']}"
    assert two.http.get(url, headers=two.a).json() == record
    problem(two.http.get(url, headers=two.site), 404)  # not the site company's record
    assert two.http.patch(url, json=sample.change, headers=as_acme).status_code == 200
    assert two.http.get(url, headers=two.a).json()[next(iter(sample.change))] == next(
        iter(sample.change.values()))
    assert two.http.delete(url, headers=as_acme).status_code == 204
    assert record["id"] not in [r["id"] for r in items(two.http, sample.path, two.a)]
    problem(two.http.get(url, headers=two.a), 404)


def test_site_admin_names_a_client_by_id(two: Two) -> None:
    acme = two.http.get(f"{API}/companies/acme", headers=two.site).json()
    post(two.http, "programs", {"key": "launch", "name": "Launch"},
         {**two.site, "X-Company": str(acme["id"])})
    assert [p["key"] for p in items(two.http, "programs", two.a)] == ["launch"]


def test_unknown_company_named_by_the_site_admin_is_404(two: Two) -> None:
    problem(two.http.get(f"{API}/programs", headers={**two.site, "X-Company": "nope"}), 404)


def test_a_client_admin_cannot_act_on_the_site_company(two: Two) -> None:
    post(two.http, "programs", {"key": "internal", "name": "Internal"}, two.site)
    as_site = {**two.a, "X-Company": "site"}
    problem(two.http.get(f"{API}/programs", headers=as_site), 403)
    problem(two.http.post(f"{API}/programs", json={"key": "x", "name": "X"}, headers=as_site), 403)
    problem(two.http.get(f"{API}/programs/internal", headers=two.a), 404)
    problem(two.http.get(f"{API}/companies/site", headers=two.a), 404)
    problem(two.http.patch(f"{API}/companies/site/settings", json={}, headers=two.a), 404)
    assert [p["key"] for p in items(two.http, "programs", two.site)] == ["internal"]


def test_a_site_key_that_is_not_admin_cannot_name_a_client(two: Two, make_key, site) -> None:  # type: ignore[no-untyped-def]
    marketer = make_key(site.company, "marketer").headers
    problem(two.http.get(f"{API}/programs", headers={**marketer, "X-Company": "acme"}), 403)
    problem(two.http.get(f"{API}/companies/acme", headers=marketer), 404)


def test_companies_of_others_are_invisible(two: Two) -> None:
    assert [c["key"] for c in items(two.http, "companies", two.b)] == ["globex"]
    for answer in (
        two.http.get(f"{API}/companies/acme", headers=two.b),
        two.http.get(f"{API}/companies/acme/settings", headers=two.b),
        two.http.patch(f"{API}/companies/acme", json={"name": "Mine"}, headers=two.b),
        two.http.patch(f"{API}/companies/acme/settings",
                       json={"leads.creation_scope": "account"}, headers=two.b),
        two.http.delete(f"{API}/companies/acme", headers=two.b),
    ):
        problem(answer, 404)
    acme = two.http.get(f"{API}/companies/acme", headers=two.a).json()
    assert acme["name"] == "Acme" and acme["settings"]["leads.creation_scope"] == "contact"
    problem(two.http.post(f"{API}/companies", json={"key": "x", "name": "X"}, headers=two.b), 403)


@pytest.mark.parametrize("name", ["99999999999999999999", "0", "-1", " "])
def test_odd_company_names_in_x_company(two: Two, name: str) -> None:
    answer = two.http.get(f"{API}/programs", headers={**two.site, "X-Company": name})
    assert answer.status_code in (200, 404), answer.text
    problem(two.http.get(f"{API}/programs", headers={**two.a, "X-Company": name}), 403)
