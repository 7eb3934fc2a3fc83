"""Bad input to every write route: a clear 422 problem naming the field, and nothing changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_world import (
    API,
    SAMPLES,
    Sample,
    create,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    snapshot,
)

JSON = {"Content-Type": "application/json"}
# Raw bodies that are not a JSON object, and the field the error names.
RAW = [
    (b'{"key": ', "body"), (b"", "body"), (b"[]", "body"), (b'"text"', "body"), (b"null", "body"),
    (b"42", "body"), (b"{'key': 'single quotes'}", "body"), (b"\xff\xfe", "body"),
]


def _bad_bodies(body: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """`body` spoilt one way at a time, with the field each spoiling must be reported on."""
    yield {**body, "colour": "red"}, "colour"
    yield {**body, "id": 7}, "id"
    yield {**body, "company_id": 1}, "company_id"
    for name, value in body.items():
        if isinstance(value, str):
            yield {**body, name: {"nested": value}}, name
            yield {**body, name: ["a", "list"]}, name
            yield {**body, name: value + "\x00"}, name
            yield {**body, name: ("x" * 5000 + "@acme.test") if "@" in value else "x" * 5000}, name
    if "key" in body:
        for slug in ("Not A Slug", "-x", "a b", "ação", "a" * 65, "", "x/y"):
            yield {**body, "key": slug}, "key"


def _assert_rejected(answer: Any, field: str) -> None:
    errors = field_errors(answer)
    assert field in errors, errors
    assert all(message for message in errors.values())


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_bad_create_is_rejected_and_changes_nothing(api: TestClient, sample: Sample) -> None:
    for path, body in sample.needs:
        api.post(f"{API}/{path}", json=body)
    before = snapshot(api)
    url = f"{API}/{sample.path}"
    for raw, field in RAW:
        _assert_rejected(api.post(url, content=raw, headers=JSON), field)
    _assert_rejected(api.post(url, content=json.dumps(sample.body),
                              headers={"Content-Type": "text/plain"}), "body")
    for body, field in _bad_bodies(sample.body):
        _assert_rejected(api.post(url, json=body), field)
    assert snapshot(api) == before


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_bad_patch_is_rejected_and_changes_nothing(api: TestClient, sample: Sample) -> None:
    record = create(api, sample)
    before = snapshot(api)
    url = f"{API}/{sample.path}/{record['id']}"
    for raw, field in RAW:
        if raw != b"":
            _assert_rejected(api.patch(url, content=raw, headers=JSON), field)
    for body, field in _bad_bodies(sample.body):
        _assert_rejected(api.patch(url, json=body), field)
    for field, value in _nulls(sample):
        _assert_rejected(api.patch(url, json={field: value}), field)
    assert snapshot(api) == before


def _nulls(sample: Sample) -> Iterator[tuple[str, None]]:
    """Fields a record must always have, so PATCH may not set them to null."""
    required = {"programs": ["key", "name"], "campaigns": ["key", "name"],
                "landing-pages": ["key", "name", "creates_leads"], "events": ["key", "name"],
                "emails": ["key", "name"], "custom-fields": ["key", "entity", "type"],
                "interaction-types": ["key", "attributes"],
                "contacts": [], "accounts": ["name"], "users": ["email", "role", "available"],
                "leads": ["name", "scope", "priority"]}
    for field in required[sample.path]:
        yield field, None


@pytest.mark.parametrize("path", ["companies", "companies/site", "companies/site/settings"])
def test_bad_company_input_is_rejected_and_changes_nothing(api: TestClient, path: str) -> None:
    before = snapshot(api)
    send = api.post if path == "companies" else api.patch
    for raw, field in RAW:
        if raw not in (b"", b"null") or path == "companies":
            _assert_rejected(send(f"{API}/{path}", content=raw, headers=JSON), field)
    body = {"key": "acme", "name": "Acme"} if path == "companies" else {"name": "Acme"}
    if path.endswith("settings"):
        body = {"leads.creation_scope": "account"}
    for bad, field in _bad_bodies(body):
        # Settings are a free-form object: only a bad value of a known setting is an error.
        if not path.endswith("settings") or field == "leads.creation_scope":
            _assert_rejected(send(f"{API}/{path}", json=bad), field)
    assert snapshot(api) == before


@pytest.mark.parametrize("ident", ["a%00b", "%00", "x" * 5000, "99999999999999999999",
                                   "-1", "1.5", "   "])
def test_odd_identifiers_in_urls_are_not_found(api: TestClient, ident: str) -> None:
    for path in ("programs", "contacts", "accounts", "users", "leads", "companies"):
        answer = api.get(f"{API}/{path}/{ident}")
        assert answer.status_code in (404, 405), (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("params", [
    {"q": "a\x00b"}, {"email": "a\x00b"}, {"cursor": "\x00"}, {"id": "99999999999999999999"},
    {"account_id": "99999999999999999999"}, {"account_domain": "99999999999999999999"},
    {"sort": "\x00"},
])
def test_odd_list_parameters_never_fail_the_server(api: TestClient, params: dict[str, str]) -> None:
    answer = api.get(f"{API}/contacts", params=params)
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 200:
        assert answer.json()["items"] == []


@pytest.mark.parametrize("value", [2**31, 2**63, -(2**31) - 1, 10**30])
def test_out_of_range_ids_in_bodies_are_unknown_references(api: TestClient, value: int) -> None:
    answer = api.post(f"{API}/campaigns", json={"key": "c", "name": "C", "program_id": value})
    assert "program_id" in field_errors(answer)
    answer = api.post(f"{API}/leads", json={"contact_id": value})
    assert "contact_id" in field_errors(answer)
