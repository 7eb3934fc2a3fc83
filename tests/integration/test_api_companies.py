"""Companies and their settings over REST (SPEC §1 Company, §6.5 settings)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_world import (
    API,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
    problem,
)

DEFAULTS = {
    "scoring.model_selection": "all",
    "leads.creation_strategy": "campaign",
    "leads.creation_scope": "contact",
    "lifecycle.auto_advance_on_sales_ready": True,
    "lifecycle.recycle_resets_behavior": True,
    "assignment.on_sales_ready": False,
}


def test_site_admin_creates_reads_and_lists_client_companies(api: TestClient) -> None:
    made = post(api, "companies", {"key": "acme", "name": "Acme",
                                   "settings": {"leads.creation_scope": "account"}})
    assert (made["key"], made["is_site"]) == ("acme", False)
    assert made["settings"] == {**DEFAULTS, "leads.creation_scope": "account"}
    assert api.get(f"{API}/companies/acme").json() == made
    assert api.get(f"{API}/companies/{made['id']}").json() == made
    assert [c["key"] for c in items(api, "companies")] == ["site", "acme"]


def test_company_settings_read_and_change(api: TestClient) -> None:
    post(api, "companies", {"key": "acme", "name": "Acme"})
    assert api.get(f"{API}/companies/acme/settings").json() == DEFAULTS
    changed = api.patch(f"{API}/companies/acme/settings",
                        json={"scoring.model_selection": "context",
                              "lifecycle.recycle_resets_behavior": "false"})
    assert changed.status_code == 200, changed.text
    expected = {**DEFAULTS, "scoring.model_selection": "context",
                "lifecycle.recycle_resets_behavior": False}
    assert changed.json() == expected
    assert api.get(f"{API}/companies/acme").json()["settings"] == expected


@pytest.mark.parametrize(("settings", "field", "words"), [
    ({"scoring.model_selection": "some"}, "scoring.model_selection", "all, context"),
    ({"leads.creation_scope": 3}, "leads.creation_scope", "contact, account"),
    ({"lifecycle.recycle_resets_behavior": "perhaps"}, "lifecycle.recycle_resets_behavior",
     "true or false"),
    ({"colour": "red"}, "colour", "known settings"),
])
def test_invalid_settings_are_rejected_and_nothing_changes(
    api: TestClient, settings: dict[str, object], field: str, words: str
) -> None:
    post(api, "companies", {"key": "acme", "name": "Acme"})
    good = {"leads.creation_strategy": "program"}
    for answer in (
        api.patch(f"{API}/companies/acme/settings", json={**good, **settings}),
        api.patch(f"{API}/companies/acme", json={"name": "New", "settings": {**good, **settings}}),
        api.post(f"{API}/companies", json={"key": "globex", "name": "G", "settings": settings}),
    ):
        assert words in field_errors(answer)[field]
    company = api.get(f"{API}/companies/acme").json()
    assert company["settings"] == DEFAULTS and company["name"] == "Acme"
    assert [c["key"] for c in items(api, "companies")] == ["site", "acme"]


def test_rename_company(api: TestClient) -> None:
    post(api, "companies", {"key": "acme", "name": "Acme"})
    answer = api.patch(f"{API}/companies/acme", json={"name": "  Acme Corp "})
    assert answer.status_code == 200 and answer.json()["name"] == "Acme Corp"
    for bad in ({"name": ""}, {"name": "x" * 201}, {"key": "other"}, {"name": 5}):
        problem(api.patch(f"{API}/companies/acme", json=bad), 422)
    assert api.get(f"{API}/companies/acme").json()["name"] == "Acme Corp"


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "No key"}, "key"), ({"key": "Acme Inc", "name": "A"}, "key"),
    ({"key": "acme"}, "name"), ({"key": "acme", "name": "x" * 201}, "name"),
    ({"key": "acme", "name": "A", "parent_id": 1}, "parent_id"),
])
def test_invalid_company_is_rejected(api: TestClient, body: dict[str, object], field: str) -> None:
    assert field in field_errors(api.post(f"{API}/companies", json=body))
    assert len(items(api, "companies")) == 1


def test_duplicate_company_key_is_a_conflict(api: TestClient) -> None:
    post(api, "companies", {"key": "acme", "name": "Acme"})
    problem(api.post(f"{API}/companies", json={"key": "acme", "name": "Again"}), 409)
    problem(api.post(f"{API}/companies", json={"key": "site", "name": "Site"}), 409)


def test_deleting_a_client_company_deletes_its_records_only(
    api: TestClient, make_client_company  # type: ignore[no-untyped-def]
) -> None:
    acme = make_client_company("acme")
    globex = make_client_company("globex")
    for tenant in (acme, globex):
        post(api, "accounts", {"name": "Parent", "domain": "p.test"}, tenant.headers)
        post(api, "accounts", {"name": "Child", "domain": "c.test", "parent_domain": "p.test"},
             tenant.headers)
        post(api, "contacts", {"email": "a@c.test", "account_domain": "c.test"}, tenant.headers)
        post(api, "campaigns", {"key": "spring", "name": "Spring"}, tenant.headers)
        post(api, "leads", {"contact_email": "a@c.test", "campaign": "spring"}, tenant.headers)
    assert api.delete(f"{API}/companies/acme").status_code == 204
    problem(api.get(f"{API}/companies/acme"), 404)
    problem(api.get(f"{API}/me", headers=acme.headers), 401)
    assert [c["key"] for c in items(api, "companies")] == ["site", "globex"]
    assert len(items(api, "leads", globex.headers)) == 1
    assert len(items(api, "accounts", globex.headers)) == 2


def test_the_site_company_cannot_be_deleted(api: TestClient) -> None:
    problem(api.delete(f"{API}/companies/site"), 403)
    assert api.get(f"{API}/companies/site").status_code == 200


def test_unknown_company_is_404(api: TestClient) -> None:
    for answer in (api.get(f"{API}/companies/nope"), api.patch(f"{API}/companies/nope", json={}),
                   api.delete(f"{API}/companies/nope"), api.get(f"{API}/companies/nope/settings")):
        assert "nope" in problem(answer, 404)["detail"]


def test_me_names_the_key_and_company(api: TestClient, make_client_company) -> None:  # type: ignore[no-untyped-def]
    make_client_company("acme")
    assert api.get(f"{API}/me").json()["company"] == "site"
    acting = api.get(f"{API}/me", headers={"X-Company": "acme"}).json()
    assert (acting["company"], acting["home_company"], acting["role"]) == ("acme", "site", "admin")
