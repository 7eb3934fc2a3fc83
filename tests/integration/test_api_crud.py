"""Create, read, update and delete every record type over REST (SPEC §6.2)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from leadflow.services import resources
from tests.integration.api_world import (
    API,
    BY_PATH,
    SAMPLES,
    Sample,
    create,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
    problem,
    snapshot,
)


def test_every_resource_is_covered_by_these_tests() -> None:
    assert {r.path for r in resources.ALL} == {s.path for s in SAMPLES}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_record_life_cycle(api: TestClient, sample: Sample) -> None:
    created = create(api, sample)
    url = f"{API}/{sample.path}/{created['id']}"
    for name, value in sample.body.items():
        if not name.endswith(("_email", "_domain")) or name in created:
            assert created[name] == value, name
    assert "company_id" not in created and "password_hash" not in created
    assert api.get(url).json() == created
    if sample.natural:
        assert api.get(f"{API}/{sample.path}/{sample.natural}").json() == created

    changed = api.patch(url, json=sample.change)
    assert changed.status_code == 200, changed.text
    expected = {**created, **sample.change}
    assert _without_times(changed.json()) == _without_times(expected)

    if sample.clear:
        cleared = api.patch(url, json={sample.clear: None})
        assert cleared.status_code == 200, cleared.text
        assert _without_times(cleared.json()) == _without_times({**expected, sample.clear: None})
        assert api.get(url).json()[sample.clear] is None

    assert api.delete(url).status_code == 204
    problem(api.get(url), 404)
    problem(api.patch(url, json=sample.change), 404)
    problem(api.delete(url), 404)
    assert all(item["id"] != created["id"] for item in items(api, sample.path))


def _without_times(record: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in record.items() if k not in ("created_at", "updated_at")}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_empty_patch_changes_nothing(api: TestClient, sample: Sample) -> None:
    created = create(api, sample)
    answer = api.patch(f"{API}/{sample.path}/{created['id']}", json={})
    assert answer.status_code == 200, answer.text
    assert _without_times(answer.json()) == _without_times(created)


@pytest.mark.parametrize("path", ["programs", "contacts", "accounts", "users", "leads",
                                  "custom-fields"])
def test_unknown_record_is_404_naming_it(api: TestClient, path: str) -> None:
    body = problem(api.get(f"{API}/{path}/nobody@nowhere.test"), 404)
    assert "nobody@nowhere.test" in body["detail"]
    problem(api.get(f"{API}/{path}/987654"), 404)


def test_natural_key_lookup_is_normalised(api: TestClient) -> None:
    contact = post(api, "contacts", {"email": "ana@acme.test"})
    account = post(api, "accounts", {"name": "Acme", "domain": "acme.test"})
    user = post(api, "users", {"email": "x@y.z"})
    assert api.get(f"{API}/contacts/ANA@Acme.TEST").json()["id"] == contact["id"]
    assert api.get(f"{API}/accounts/WWW.Acme.Test").json()["id"] == account["id"]
    assert api.get(f"{API}/users/X@Y.Z").json()["id"] == user["id"]


# (referenced record, the record that refers to it)
REFERRERS = [
    ("programs", "campaigns", {"key": "c1", "name": "C1", "program": "launch"}),
    ("programs", "leads", {"scope": "account", "account_domain": "x.test", "program": "launch"}),
    ("campaigns", "landing-pages", {"key": "p1", "name": "P1", "campaign": "spring"}),
    ("campaigns", "events", {"key": "e1", "name": "E1", "campaign": "spring"}),
    ("campaigns", "emails", {"key": "m1", "name": "M1", "campaign": "spring"}),
    ("campaigns", "leads", {"scope": "account", "account_domain": "x.test",
                            "campaign": "spring"}),
    ("accounts", "contacts", {"email": "bo@acme.test", "account_domain": "acme.test"}),
    ("accounts", "accounts", {"name": "Acme EU", "parent_domain": "acme.test"}),
    ("accounts", "leads", {"scope": "account", "account_domain": "acme.test"}),
    ("contacts", "leads", {"contact_email": "ana@acme.test"}),
    ("users", "leads", {"scope": "account", "account_domain": "x.test", "owner": "x@y.z"}),
]


@pytest.mark.parametrize(("target", "referrer", "body"), REFERRERS,
                         ids=[f"{t}<-{r}" for t, r, _ in REFERRERS])
def test_deleting_a_referenced_record_is_a_conflict_and_changes_nothing(
    api: TestClient, target: str, referrer: str, body: dict[str, object]
) -> None:
    sample = BY_PATH[target]
    made = create(api, sample)
    post(api, "accounts", {"name": "X", "domain": "x.test"})
    post(api, referrer, body)
    before = snapshot(api)

    answer = problem(api.delete(f"{API}/{target}/{made['id']}"), 409)

    assert answer["detail"].endswith(f"still refer to it: {referrer.replace('-', ' ')} (1)")
    assert snapshot(api) == before


def test_deleting_a_record_once_unreferenced_succeeds(api: TestClient) -> None:
    post(api, "programs", {"key": "launch", "name": "Launch"})
    campaign = post(api, "campaigns", {"key": "spring", "name": "Spring", "program": "launch"})
    problem(api.delete(f"{API}/programs/launch"), 409)
    assert api.patch(f"{API}/campaigns/{campaign['id']}", json={"program": None}).status_code == 200
    assert api.delete(f"{API}/programs/launch").status_code == 204


@pytest.mark.parametrize(("path", "body", "again"), [
    ("programs", {"key": "launch", "name": "A"}, {"key": "launch", "name": "B"}),
    ("campaigns", {"key": "spring", "name": "A"}, {"key": "spring", "name": "B"}),
    ("landing-pages", {"key": "f", "name": "A"}, {"key": "f", "name": "B"}),
    ("events", {"key": "s", "name": "A"}, {"key": "s", "name": "B"}),
    ("emails", {"key": "m", "name": "A"}, {"key": "m", "name": "B"}),
    ("custom-fields", {"key": "seg", "entity": "lead", "type": "text"},
     {"key": "seg", "entity": "lead", "type": "number"}),
    ("contacts", {"email": "ana@acme.test"}, {"email": " ANA@acme.TEST "}),
    ("contacts", {"email": "a@acme.test", "external_id": "c-1"},
     {"email": "b@acme.test", "external_id": "c-1"}),
    ("accounts", {"name": "A", "domain": "acme.test"}, {"name": "B", "domain": "WWW.acme.test"}),
    ("users", {"email": "x@y.z"}, {"email": "X@Y.Z"}),
])
def test_duplicate_natural_key_is_a_conflict(
    api: TestClient, path: str, body: dict[str, object], again: dict[str, object]
) -> None:
    post(api, path, body)
    before = items(api, path)
    answer = problem(api.post(f"{API}/{path}", json=again), 409)
    assert "already exists" in answer["detail"]
    assert items(api, path) == before


def test_renaming_onto_an_existing_key_is_a_conflict(api: TestClient) -> None:
    post(api, "programs", {"key": "launch", "name": "Launch"})
    other = post(api, "programs", {"key": "later", "name": "Later"})
    problem(api.patch(f"{API}/programs/{other['id']}", json={"key": "launch"}), 409)
    assert api.get(f"{API}/programs/later").json()["name"] == "Later"


def test_a_record_may_be_renamed_by_its_natural_key(api: TestClient) -> None:
    post(api, "programs", {"key": "launch", "name": "Launch"})
    answer = api.patch(f"{API}/programs/launch", json={"key": "launch-2"})
    assert answer.status_code == 200, answer.text
    assert api.get(f"{API}/programs/launch-2").json()["name"] == "Launch"
    problem(api.get(f"{API}/programs/launch"), 404)


@pytest.mark.parametrize(("path", "body", "required"), [
    ("programs", {"key": "launch", "name": "Launch"}, "name"),
    ("programs", {"key": "launch", "name": "Launch"}, "key"),
    ("landing-pages", {"key": "f", "name": "F"}, "creates_leads"),
    ("accounts", {"name": "Acme"}, "name"),
    ("users", {"email": "x@y.z"}, "role"),
    ("users", {"email": "x@y.z"}, "territories"),
    ("custom-fields", {"key": "seg", "entity": "lead", "type": "text"}, "type"),
    ("leads", {"scope": "account", "account_domain": "x.test"}, "priority"),
    ("leads", {"scope": "account", "account_domain": "x.test"}, "scope"),
    ("leads", {"scope": "account", "account_domain": "x.test"}, "name"),
])
def test_patch_null_on_a_required_field_is_rejected(
    api: TestClient, path: str, body: dict[str, object], required: str
) -> None:
    post(api, "accounts", {"name": "X", "domain": "x.test"})
    made = post(api, path, body)
    before = items(api, path)
    errors = problem(api.patch(f"{API}/{path}/{made['id']}", json={required: None}), 422)
    assert required in {e["field"] for e in errors["errors"]}
    assert items(api, path) == before
