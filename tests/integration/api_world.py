"""Shared building blocks of the REST API tests: one sample record per resource, and checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from leadflow.api.app import create_app
from leadflow.db.database import Database
from leadflow.services import records
from leadflow.services.resources import BY_PATH as RESOURCES

API = "/api/v1"
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Sample:
    """A valid record of one resource, the records it needs first, and how to change it."""

    path: str
    body: dict[str, Any]
    natural: str | None  # how the record is named in a URL besides its id
    change: dict[str, Any]  # a PATCH that changes one field
    clear: str | None  # a nullable field that the sample sets, cleared by PATCH null
    needs: tuple[tuple[str, dict[str, Any]], ...] = field(default=())

    @property
    def id(self) -> str:
        return self.path


SAMPLES = (
    Sample("programs", {"key": "launch", "name": "Launch", "description": "New product"},
           "launch", {"name": "Relaunch"}, "description"),
    Sample("campaigns", {"key": "spring", "name": "Spring", "description": "Webinar"},
           "spring", {"name": "Spring webinar"}, "description"),
    Sample("landing-pages", {"key": "spring-form", "name": "Form", "url": "https://a.test/f"},
           "spring-form", {"creates_leads": False}, "url"),
    Sample("events", {"key": "summit", "name": "Summit", "location": "Lisbon"},
           "summit", {"name": "Summit 2025"}, "location"),
    Sample("emails", {"key": "invite-1", "name": "Invite", "subject": "Join us"},
           "invite-1", {"name": "Invitation"}, "subject"),
    Sample("custom-fields", {"key": "segment", "entity": "contact", "type": "text",
                             "label": "Segment"}, None, {"label": "Market segment"}, "label"),
    Sample("interaction-types", {"key": "webinar_watched", "name": "WebinarWatched",
                                 "attributes": [{"key": "minutes", "type": "number"}]},
           "webinar_watched", {"attributes": []}, None),
    Sample("contacts", {"email": "ana@acme.test", "first_name": "Ana", "city": "Porto"},
           "ana@acme.test", {"last_name": "Lima"}, "city"),
    Sample("accounts", {"name": "Acme", "domain": "acme.test", "industry": "Tools"},
           "acme.test", {"employees": 120}, "industry"),
    Sample("users", {"email": "x@y.z", "name": "Xavier", "role": "sales"},
           "x@y.z", {"capacity": 30}, "name"),
    Sample("leads", {"contact_email": "lena@acme.test", "status": "new"},
           None, {"priority": "high"}, "status",
           needs=(("contacts", {"email": "lena@acme.test", "first_name": "Lena"}),)),
)
BY_PATH = {s.path: s for s in SAMPLES}
PATHS = tuple(s.path for s in SAMPLES)


@dataclass(frozen=True)
class Ref:
    """`path` records refer to a `target` record as `name` (natural key) or `column` (id)."""

    path: str
    body: dict[str, Any]
    name: str
    column: str
    target: str
    target_body: dict[str, Any]
    key: str  # the target's natural key as stored
    spelled: str  # how a user might type it

    @property
    def id(self) -> str:
        return f"{self.path}.{self.name}"


ACME = {"name": "Acme", "domain": "acme.test"}
REFS = [
    Ref("campaigns", {"key": "c", "name": "C"}, "program", "program_id",
        "programs", {"key": "launch", "name": "Launch"}, "launch", "launch"),
    Ref("landing-pages", {"key": "p", "name": "P"}, "campaign", "campaign_id",
        "campaigns", {"key": "spring", "name": "Spring"}, "spring", "spring"),
    Ref("events", {"key": "e", "name": "E"}, "campaign", "campaign_id",
        "campaigns", {"key": "spring", "name": "Spring"}, "spring", "spring"),
    Ref("emails", {"key": "m", "name": "M"}, "campaign", "campaign_id",
        "campaigns", {"key": "spring", "name": "Spring"}, "spring", "spring"),
    Ref("contacts", {"email": "bo@acme.test"}, "account_domain", "account_id",
        "accounts", ACME, "acme.test", "https://www.ACME.test/"),
    Ref("accounts", {"name": "Acme EU", "domain": "eu.acme.test"}, "parent_domain", "parent_id",
        "accounts", ACME, "acme.test", "ACME.test"),
    Ref("leads", {}, "contact_email", "contact_id",
        "contacts", {"email": "ana@acme.test"}, "ana@acme.test", " Ana@ACME.test "),
    Ref("leads", {"scope": "account"}, "account_domain", "account_id",
        "accounts", ACME, "acme.test", "www.acme.test"),
    Ref("leads", {"contact_email": "lu@x.test"}, "program", "program_id",
        "programs", {"key": "launch", "name": "Launch"}, "launch", "launch"),
    Ref("leads", {"contact_email": "lu@x.test"}, "campaign", "campaign_id",
        "campaigns", {"key": "spring", "name": "Spring"}, "spring", "spring"),
    Ref("leads", {"contact_email": "lu@x.test"}, "owner", "owner_id",
        "users", {"email": "sam@acme.test"}, "sam@acme.test", "SAM@acme.test"),
]


def create(client: TestClient, sample: Sample, headers: dict[str, str] | None = None) -> Any:
    """Create `sample` (and what it needs); returns the created record as JSON."""
    for path, body in sample.needs:
        made = client.post(f"{API}/{path}", json=body, headers=headers)
        assert made.status_code == 201, made.text
    made = client.post(f"{API}/{sample.path}", json=sample.body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def post(client: TestClient, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    """POST a record that must be created; returns it."""
    made = client.post(f"{API}/{path}", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def problem(response: Response, status: int) -> dict[str, Any]:
    """Assert `response` is an RFC 9457 problem with `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def field_errors(response: Response) -> dict[str, str]:
    """A 422 problem's `{field: message}`."""
    body = problem(response, 422)
    return {e["field"]: e["message"] for e in body["errors"]}


def items(client: TestClient, path: str, headers: dict[str, str] | None = None,
          **params: Any) -> list[dict[str, Any]]:
    """Every record of a list (one page of up to 500)."""
    answer = client.get(f"{API}/{path}", params={"limit": 500, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["next_cursor"] is None
    return body["items"]  # type: ignore[no-any-return]


def snapshot(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Every record of every resource (and the company), to prove nothing changed."""
    state: dict[str, Any] = {path: items(client, path, headers) for path in PATHS}
    state["companies"] = items(client, "companies", headers)
    return state


_APPS: dict[str, FastAPI] = {}


@pytest.fixture
def http(db: Database, database_url: str) -> Iterator[TestClient]:
    """conftest's `http`, but the app is built once per test process: building it is slow."""
    app = _APPS.get(database_url)
    if app is None:
        app = _APPS[database_url] = create_app(db)
    app.state.database = db
    with TestClient(app) as client:
        yield client


def seed(db: Database, company_id: int, path: str, *bodies: dict[str, Any]) -> None:
    """Store records straight through the service layer: much faster than over HTTP."""
    from leadflow.services import record_rules  # noqa: F401  (registers the lead checks)

    resource = RESOURCES[path]
    with db.transaction() as session:
        for body in bodies:
            records.create(session, company_id, resource, resource.schema(**body))
