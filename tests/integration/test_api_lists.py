"""Lists: cursor pagination, sort, search and filters (SPEC §6.2)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from tests.integration.api_world import (
    API,
    PATHS,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    items,
    seed,
)

CITIES = ["Porto", None, "Berlin", "Porto", None, "Lisbon", "Berlin", "Porto"]
EMPLOYEES = [50, None, 10, 50, 900, None, 10]
AVAILABLE = [False, True, False, True, True, True, False]


@pytest.fixture
def people(api: TestClient, db: Database, site) -> TestClient:  # type: ignore[no-untyped-def]
    """Contacts with duplicate and missing cities, accounts with duplicate/missing sizes."""
    company = site.company.id
    seed(db, company, "contacts", *({"email": f"p{n}@acme.test", "city": city,
                                     "first_name": f"P{n}"} for n, city in enumerate(CITIES)))
    seed(db, company, "accounts", *({"name": f"Org {n}", "domain": f"org{n}.test",
                                     "employees": size} for n, size in enumerate(EMPLOYEES)))
    seed(db, company, "users", *({"email": f"u{n}@y.z", "available": available}
                                 for n, available in enumerate(AVAILABLE)))
    return api


def _walk(api: TestClient, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every record of a list, following next_cursor page by page."""
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        answer = api.get(f"{API}/{path}", params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert set(page) == {"items", "next_cursor"} and len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination never ended")


def _expected(records: list[dict[str, Any]], field: str, descending: bool) -> list[int]:
    present = [r for r in records if r[field] is not None]
    missing = [r for r in records if r[field] is None]
    present.sort(key=lambda r: (r[field], r["id"]), reverse=descending)
    missing.sort(key=lambda r: r["id"], reverse=descending)
    return [r["id"] for r in present + missing]  # NULLs last either way


@pytest.mark.parametrize(("path", "sort"), [
    ("contacts", "id"), ("contacts", "-id"), ("contacts", "city"), ("contacts", "-city"),
    ("contacts", "email"), ("contacts", "created_at"), ("contacts", "-created_at"),
    ("accounts", "employees"), ("accounts", "-employees"), ("users", "available"),
    ("users", "-available"),
])
def test_cursor_walks_every_record_exactly_once_in_order(
    people: TestClient, path: str, sort: str
) -> None:
    every = items(people, path)
    expected = _expected(every, sort.lstrip("-"), sort.startswith("-"))
    for limit in (2, 3):
        walked = _walk(people, path, limit, sort=sort)
        assert [r["id"] for r in walked] == expected, limit
        assert len(walked) > 2 * limit  # more than two pages


def test_default_order_is_by_id_and_next_cursor_is_null_on_the_last_page(
    people: TestClient
) -> None:
    page = people.get(f"{API}/contacts").json()
    assert [c["id"] for c in page["items"]] == sorted(c["id"] for c in page["items"])
    assert len(page["items"]) == len(CITIES) and page["next_cursor"] is None
    exact = people.get(f"{API}/contacts", params={"limit": len(CITIES)}).json()
    assert exact["next_cursor"] is None


def test_filters_combine_with_sort_and_cursor(people: TestClient) -> None:
    walked = _walk(people, "contacts", 1, city="Porto", sort="-email")
    assert [c["email"] for c in walked] == ["p7@acme.test", "p3@acme.test", "p0@acme.test"]


@pytest.mark.parametrize(("params", "emails"), [
    ({"city": "Berlin"}, ["p2@acme.test", "p6@acme.test"]),
    ({"city": ["Berlin", "Lisbon"]}, ["p2@acme.test", "p5@acme.test", "p6@acme.test"]),
    ({"city": "null"}, ["p1@acme.test", "p4@acme.test"]),
    ({"email": " P3@ACME.test "}, ["p3@acme.test"]),
    ({"q": "p5"}, ["p5@acme.test"]),
    ({"q": "LISB"}, ["p5@acme.test"]),
    ({"q": "berlin", "first_name": "P6"}, ["p6@acme.test"]),
    ({"q": "%"}, []),
    ({"q": "_"}, []),
    ({"city": "Nowhere"}, []),
])
def test_contact_filters_and_search(
    people: TestClient, params: dict[str, Any], emails: list[str]
) -> None:
    assert [c["email"] for c in items(people, "contacts", **params)] == emails


@pytest.mark.parametrize(("params", "count"), [
    ({"available": "false"}, 3), ({"available": "TRUE"}, 4), ({"capacity": "null"}, 7),
])
def test_boolean_and_null_filters(people: TestClient, params: dict[str, str], count: int) -> None:
    assert len(items(people, "users", **params)) == count


def test_number_filters(people: TestClient) -> None:
    assert [a["name"] for a in items(people, "accounts", employees="10")] == ["Org 2", "Org 6"]
    assert len(items(people, "accounts", employees="null")) == 2


@pytest.fixture
def leads(api: TestClient, db: Database, site) -> TestClient:  # type: ignore[no-untyped-def]
    """Leads in two campaigns (one without), for two accounts, one with an owner."""
    company = site.company.id
    seed(db, company, "programs", {"key": "launch", "name": "Launch"})
    seed(db, company, "campaigns", {"key": "spring", "name": "Spring", "program": "launch"},
         {"key": "autumn", "name": "Autumn"})
    seed(db, company, "users", {"email": "sam@acme.test"})
    seed(db, company, "accounts", *({"name": d, "domain": d} for d in ("acme.test", "globex.test")))
    seed(db, company, "contacts", {"email": "ana@acme.test", "account_domain": "acme.test"},
         {"email": "bo@globex.test", "account_domain": "globex.test"},
         {"email": "cy@nowhere.test"})
    seed(db, company, "leads",
         {"contact_email": "ana@acme.test", "campaign": "spring", "name": "L1",
          "owner": "sam@acme.test", "territory": "West"},
         {"contact_email": "bo@globex.test", "campaign": "spring", "name": "L2"},
         {"contact_email": "ana@acme.test", "campaign": "autumn", "name": "L3"},
         {"contact_email": "cy@nowhere.test", "name": "L4", "status": "Working"})
    return api


@pytest.mark.parametrize(("params", "names"), [
    ({"campaign": "spring"}, ["L1", "L2"]),
    ({"campaign": ["spring", "autumn"]}, ["L1", "L2", "L3"]),
    ({"campaign": "null"}, ["L4"]),
    ({"campaign": "nothing"}, []),
    ({"program": "launch"}, ["L1", "L2"]),
    ({"contact_email": "ANA@acme.test"}, ["L1", "L3"]),
    ({"account_domain": "www.globex.test"}, ["L2"]),
    ({"account_domain": "null"}, ["L4"]),
    ({"owner": "sam@acme.test"}, ["L1"]),
    ({"owner": "null", "sort": "-name"}, ["L4", "L3", "L2"]),
    ({"stage": "nurture", "source": "manual", "priority": "normal"}, ["L1", "L2", "L3", "L4"]),
    ({"sales_ready": "true"}, []),
    ({"q": "west"}, ["L1"]),
    ({"q": "working"}, ["L4"]),
])
def test_lead_filters_by_natural_key(
    leads: TestClient, params: dict[str, Any], names: list[str]
) -> None:
    assert [lead["name"] for lead in items(leads, "leads", **params)] == names


def test_contacts_filter_by_account_domain(leads: TestClient) -> None:
    emails = [c["email"] for c in items(leads, "contacts", account_domain="acme.test")]
    assert emails == ["ana@acme.test"]
    account_id = leads.get(f"{API}/accounts/globex.test").json()["id"]
    emails = [c["email"] for c in items(leads, "contacts", account_id=str(account_id))]
    assert emails == ["bo@globex.test"]


@pytest.mark.parametrize("path", PATHS)
def test_unknown_filter_or_sort_lists_the_valid_ones(api: TestClient, path: str) -> None:
    message = field_errors(api.get(f"{API}/{path}", params={"colour": "red"}))["colour"]
    assert "id" in message and "created_at" in message
    message = field_errors(api.get(f"{API}/{path}", params={"sort": "-colour"}))["sort"]
    assert "colour" in message and "id" in message


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "-1"}, "limit"),
    ({"limit": "ten"}, "limit"), ({"limit": "2.5"}, "limit"),
    ({"available": "maybe"}, "available"), ({"capacity": "many"}, "capacity"),
    ({"id": "x"}, "id"), ({"created_at": "yesterday"}, "created_at"),
    ({"sort": ""}, "sort"), ({"sort": "territories"}, "sort"),
    ({"capacity": str(2**31)}, "capacity"), ({"id": str(-(2**31))}, "id"),
    ({"q": "a\x00"}, "q"),
])
def test_bad_list_parameters_are_rejected(
    api: TestClient, params: dict[str, str], field: str
) -> None:
    assert field in field_errors(api.get(f"{API}/users", params=params))


def test_limit_bounds_are_accepted(people: TestClient) -> None:
    assert len(people.get(f"{API}/contacts", params={"limit": 1}).json()["items"]) == 1
    assert len(people.get(f"{API}/contacts", params={"limit": 500}).json()["items"]) == 8


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("cursor", "sort"), [
    ("garbage!", "id"), ("////", "id"), ("MQ", "id"), (_cursor({"a": 1}), "id"),
    (_cursor([1, 2, 3]), "id"), (_cursor(["x", "y"]), "id"), (_cursor(["abc", 1]), "id"),
    (_cursor([[1], 1]), "city"), (_cursor(["not a date", 1]), "created_at"),
    (_cursor([{"a": 1}, 1]), "email"), (_cursor(["x", 99999999999999999999]), "email"),
    (_cursor([True, 1]), "id"),
])
def test_garbage_cursor_is_rejected(api: TestClient, cursor: str, sort: str) -> None:
    answer = api.get(f"{API}/contacts", params={"cursor": cursor, "sort": sort})
    assert "cursor" in field_errors(answer)


def test_an_empty_cursor_means_the_first_page(people: TestClient) -> None:
    answer = people.get(f"{API}/contacts", params={"cursor": "", "limit": 2})
    assert answer.status_code == 200 and answer.json()["items"][0]["email"] == "p0@acme.test"


def test_a_cursor_from_another_sort_order_is_rejected(people: TestClient) -> None:
    cursor = people.get(f"{API}/contacts", params={"limit": 2, "sort": "city"}).json()
    answer = people.get(f"{API}/contacts", params={"cursor": cursor["next_cursor"], "sort": "id"})
    assert "cursor" in field_errors(answer)
