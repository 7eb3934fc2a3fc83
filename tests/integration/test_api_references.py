"""References between records: given by id or natural key, shown both ways (SPEC §6.2)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_world import (
    ACME,
    API,
    REFS,
    Ref,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
)

ids = [r.id for r in REFS]


@pytest.fixture
def world(api: TestClient) -> TestClient:
    post(api, "contacts", {"email": "lu@x.test"})
    return api


def _target(api: TestClient, ref: Ref) -> dict[str, Any]:
    return post(api, ref.target, ref.target_body)  # type: ignore[no-any-return]


@pytest.mark.parametrize("ref", REFS, ids=ids)
def test_reference_by_natural_key_is_shown_both_ways(world: TestClient, ref: Ref) -> None:
    target = _target(world, ref)
    made = post(world, ref.path, {**ref.body, ref.name: ref.spelled})
    assert made[ref.column] == target["id"] and made[ref.name] == ref.key
    listed = [i for i in items(world, ref.path) if i["id"] == made["id"]]
    assert listed[0][ref.name] == ref.key


@pytest.mark.parametrize("ref", REFS, ids=ids)
def test_reference_by_id_or_both_agreeing(world: TestClient, ref: Ref) -> None:
    target = _target(world, ref)
    by_id = post(world, ref.path, {**ref.body, ref.column: target["id"]})
    assert by_id[ref.name] == ref.key
    world.delete(f"{API}/{ref.path}/{by_id['id']}")
    both = post(world, ref.path, {**ref.body, ref.column: target["id"], ref.name: ref.spelled})
    assert both[ref.column] == target["id"]


@pytest.mark.parametrize("ref", REFS, ids=ids)
def test_unknown_or_disagreeing_reference_is_rejected_naming_the_field(
    world: TestClient, ref: Ref
) -> None:
    target = _target(world, ref)
    other = post(world, ref.target, _other_body(ref))
    before = items(world, ref.path)
    unknown_key = world.post(f"{API}/{ref.path}", json={**ref.body, ref.name: _other(ref)})
    assert "no " in field_errors(unknown_key)[ref.name]
    unknown_id = world.post(f"{API}/{ref.path}", json={**ref.body, ref.column: 999_999})
    assert field_errors(unknown_id)[ref.column].endswith("with id 999999")
    disagree = world.post(f"{API}/{ref.path}",
                          json={**ref.body, ref.column: target["id"], ref.name: _key(ref, other)})
    assert "different" in field_errors(disagree)[ref.name]
    assert items(world, ref.path) == before


@pytest.mark.parametrize("ref", REFS, ids=ids)
def test_patch_moves_or_clears_a_reference(world: TestClient, ref: Ref) -> None:
    _target(world, ref)
    other = post(world, ref.target, _other_body(ref))
    body = {**ref.body, ref.name: ref.key}
    if ref.path == "leads" and ref.name in ("contact_email", "account_domain"):
        body["scope"] = "account" if ref.name == "contact_email" else "contact"
        body["contact_email" if ref.name == "account_domain" else "account_domain"] = (
            "lu@x.test" if ref.name == "account_domain" else None)
    if body.get("account_domain", "") is None:
        post(world, "accounts", {"name": "Lu", "domain": "lu.test"})
        body["account_domain"] = "lu.test"
    made = post(world, ref.path, body)
    url = f"{API}/{ref.path}/{made['id']}"
    moved = world.patch(url, json={ref.name: _key(ref, other)})
    assert moved.status_code == 200, moved.text
    assert (moved.json()[ref.column], moved.json()[ref.name]) == (other["id"], _key(ref, other))
    if ref.path == "leads" and ref.name == "account_domain":
        return  # a contact-scope lead keeps its contact's account
    cleared = world.patch(url, json={ref.name: None})
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()[ref.column], cleared.json()[ref.name]) == (None, None)


def _other(ref: Ref) -> str:
    return {"contacts": "nobody@x.test", "users": "nobody@x.test",
            "accounts": "nowhere.test"}.get(ref.target, "nothing")


def _other_body(ref: Ref) -> dict[str, Any]:
    if ref.target in ("contacts", "users"):
        return {"email": "other@acme.test"}
    if ref.target == "accounts":
        return {"name": "Other", "domain": "other.test"}
    return {"key": "other", "name": "Other"}


def _key(ref: Ref, record: dict[str, Any]) -> str:
    return str(record.get("email") or record.get("domain") or record["key"])


def test_a_lead_shows_every_reference_by_key(world: TestClient) -> None:
    post(world, "accounts", ACME)
    post(world, "contacts", {"email": "ana@acme.test", "account_domain": "acme.test"})
    post(world, "programs", {"key": "launch", "name": "Launch"})
    post(world, "campaigns", {"key": "spring", "name": "Spring", "program": "launch"})
    post(world, "users", {"email": "sam@acme.test"})
    lead = post(world, "leads", {"contact_email": "ana@acme.test", "campaign": "spring",
                                 "owner": "sam@acme.test"})
    shown = {k: lead[k] for k in ("contact_email", "account_domain", "program", "campaign",
                                  "owner")}
    assert shown == {"contact_email": "ana@acme.test", "account_domain": "acme.test",
                     "program": "launch", "campaign": "spring", "owner": "sam@acme.test"}


def test_an_account_cannot_be_its_own_parent(api: TestClient) -> None:
    post(api, "accounts", ACME)
    post(api, "accounts", {"name": "EU", "domain": "eu.acme.test", "parent_domain": "acme.test"})
    post(api, "accounts", {"name": "PT", "domain": "pt.acme.test", "parent_domain": "eu.acme.test"})
    itself = api.patch(f"{API}/accounts/acme.test", json={"parent_domain": "acme.test"})
    assert "own parent" in field_errors(itself)["parent_id"]
    loop = api.patch(f"{API}/accounts/acme.test", json={"parent_domain": "pt.acme.test"})
    assert "own parent" in field_errors(loop)["parent_id"]
    assert api.get(f"{API}/accounts/acme.test").json()["parent_domain"] is None
