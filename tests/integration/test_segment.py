"""Segment-compatible ingestion at /v1/* (SPEC §6.2): the HTTP API and the official SDK."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from segment.analytics.client import Client
from segment.analytics.request import APIError

from leadflow.api.app import create_app
from leadflow.db.database import Database
from tests.conftest import Tenant
from tests.integration.basic_auth import basic

INTERACTIONS = "/api/v1/interactions"


@pytest.fixture
def world(api: TestClient) -> TestClient:
    """A campaign with a landing page, an event and an email; a declared contact field."""
    for path, body in [
        ("campaigns", {"key": "spring", "name": "Spring"}),
        ("landing-pages", {"key": "trial", "name": "Trial", "campaign": "spring"}),
        ("events", {"key": "summit", "name": "Summit", "campaign": "spring"}),
        ("emails", {"key": "invite", "name": "Invite", "campaign": "spring"}),
        ("custom-fields", {"key": "plan", "entity": "contact", "type": "text"}),
    ]:
        assert api.post(f"/api/v1/{path}", json=body).status_code == 201
    return api


@pytest.fixture
def sender(db: Database, ingest: Tenant) -> Iterator[TestClient]:
    """A client sending with the ingest key as the Basic user name, like Segment's SDKs."""
    with TestClient(create_app(db), headers=basic(ingest.key)) as client:
        yield client


def interactions(api: TestClient, **filters: str) -> list[dict[str, Any]]:
    return list(api.get(INTERACTIONS, params={"limit": "500", **filters}).json()["items"])


def contact(api: TestClient, email: str) -> dict[str, Any]:
    found = api.get(f"/api/v1/contacts/{email}")
    assert found.status_code == 200, found.text
    return dict(found.json())


class TestAuthentication:
    def test_write_key_in_the_body_is_accepted(self, world: TestClient, ingest: Tenant,
                                               db: Database) -> None:
        with TestClient(create_app(db)) as client:
            result = client.post("/v1/track", json={
                "writeKey": ingest.key, "userId": "a@b.test", "event": "Email Opened"})
        assert result.status_code == 200 and result.json()["created"] == 1

    @pytest.mark.parametrize("role", ["admin", "marketer", "ingest"])
    def test_roles_that_send_data_may_call(self, world: TestClient, site: Tenant,
                                           make_key: Any, role: str) -> None:
        key = make_key(site.company, role)
        result = world.post("/v1/identify", json={"userId": "a@b.test"}, headers=basic(key.key))
        assert result.status_code == 200

    @pytest.mark.parametrize("role", ["sales", "viewer"])
    def test_roles_that_only_read_are_forbidden(self, world: TestClient, site: Tenant,
                                                make_key: Any, role: str) -> None:
        key = make_key(site.company, role)
        result = world.post("/v1/track", json={"userId": "a@b.test", "event": "Email Opened"},
                            headers=basic(key.key))
        assert result.status_code == 403
        assert result.json()["code"] == "forbidden" and role in result.json()["message"]
        assert interactions(world) == []

    @pytest.mark.parametrize("headers", [
        {"Authorization": "Basic " + base64.b64encode(b"lf_nope:").decode()},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": ""},
    ])
    def test_a_missing_or_unknown_key_is_refused(self, world: TestClient,
                                                 headers: dict[str, str]) -> None:
        result = world.post("/v1/batch", json={"batch": [
            {"type": "track", "userId": "a@b.test", "event": "Email Opened"}]}, headers=headers)
        assert result.status_code == 401
        assert result.headers["content-type"] == "application/problem+json"
        assert interactions(world) == []

    def test_the_key_acts_on_its_own_company(self, world: TestClient,
                                             make_client_company: Any) -> None:
        client = make_client_company("northwind", "ingest")
        world.post("/v1/identify", json={"userId": "ana@n.test"}, headers=basic(client.key))
        assert world.get("/api/v1/contacts").json()["items"] == []
        theirs = world.get("/api/v1/contacts", headers={"X-Company": "northwind"}).json()
        assert [c["email"] for c in theirs["items"]] == ["ana@n.test"]


class TestBodies:
    @pytest.mark.parametrize("content", [b"{nope", b"", b"\xff\xfe", b"[1, 2]",
                                         b'{"batch": {"type": "track"}}'])
    def test_a_malformed_batch_is_refused_with_400(self, sender: TestClient, world: TestClient,
                                                   content: bytes) -> None:
        result = sender.post("/v1/batch", content=content,
                             headers={"content-type": "application/json"})
        assert result.status_code == 400, result.text
        assert result.json()["errors"][0]["field"] == "body"
        assert interactions(world) == []

    def test_a_single_call_must_be_an_object(self, sender: TestClient) -> None:
        assert sender.post("/v1/track", json=["Email Opened"]).status_code == 400

    def test_gzip_bodies_are_read(self, sender: TestClient, world: TestClient) -> None:
        body = gzip.compress(json.dumps({"batch": [
            {"type": "track", "userId": "a@b.test", "event": "Email Opened"}]}).encode())
        result = sender.post("/v1/batch", content=body, headers={
            "content-type": "application/json", "content-encoding": "gzip"})
        assert result.status_code == 200 and result.json()["created"] == 1

    def test_a_body_that_is_not_gzip_is_refused(self, sender: TestClient) -> None:
        result = sender.post("/v1/batch", content=b"{}", headers={"content-encoding": "gzip"})
        assert result.status_code == 400 and "gzip" in result.text

    def test_an_oversized_body_is_refused(self, sender: TestClient, world: TestClient) -> None:
        message = {"type": "track", "userId": "a@b.test", "event": "Email Opened",
                   "properties": {"padding": "x" * 1000}}
        result = sender.post("/v1/batch", json={"batch": [message] * 1100})
        assert result.status_code == 400 and "larger than" in result.text
        assert interactions(world) == []


class TestIdentify:
    def test_traits_update_the_contact_and_its_account(self, sender: TestClient,
                                                       world: TestClient) -> None:
        result = sender.post("/v1/identify", json={"userId": "u-1", "traits": {
            "email": " Ana@Acme.TEST ", "firstName": "Ana", "last_name": "Lima", "title": "CTO",
            "phone": "+33 1", "address": {"city": "Lyon", "state": "ARA", "country": "FR"},
            "company": {"name": "Acme", "domain": "acme.test"}, "plan": "pro", "age": 40}})
        item = result.json()["items"][0]
        assert (result.status_code, item["status"]) == (200, "updated")
        ana = contact(world, "ana@acme.test")
        assert (ana["first_name"], ana["last_name"], ana["job_title"], ana["phone"]) == (
            "Ana", "Lima", "CTO", "+33 1")
        assert (ana["city"], ana["state"], ana["country"]) == ("Lyon", "ARA", "FR")
        assert ana["account_domain"] == "acme.test" and ana["custom"] == {"plan": "pro"}
        assert interactions(world) == []  # an identify stores no interaction

    def test_company_as_a_string_and_full_name(self, sender: TestClient,
                                               world: TestClient) -> None:
        sender.post("/v1/identify", json={"userId": "bo@b.test",
                                          "traits": {"name": "Bo van Dijk", "company": "Bee"}})
        bo = contact(world, "bo@b.test")
        assert (bo["first_name"], bo["last_name"]) == ("Bo", "van Dijk")
        account = world.get(f"/api/v1/accounts/{bo['account_id']}").json()
        assert account["name"] == "Bee"

    def test_earlier_anonymous_page_views_join_the_contact(self, sender: TestClient,
                                                           world: TestClient) -> None:
        for path in ("/pricing", "/docs"):
            sender.post("/v1/page", json={"anonymousId": "anon-7",
                                          "properties": {"url": f"https://x.test{path}"}})
        result = sender.post("/v1/identify", json={
            "anonymousId": "anon-7", "traits": {"email": "cy@c.test"}}).json()
        assert result["items"][0]["attached_visits"] == 2
        cy = contact(world, "cy@c.test")
        visits = interactions(world, type="website_visited")
        assert {v["contact_id"] for v in visits} == {cy["id"]}

    def test_a_user_id_seen_in_identify_names_the_contact_later(
        self, sender: TestClient, world: TestClient
    ) -> None:
        early = sender.post("/v1/track", json={"userId": "42", "event": "Email Opened"}).json()
        assert early["items"][0].get("contact_id") is None  # not known yet: kept anonymous
        sender.post("/v1/identify", json={"userId": 42, "traits": {"email": "dee@d.test"}})
        sender.post("/v1/track", json={"userId": "42", "event": "Email Delivered"})
        dee = contact(world, "dee@d.test")
        assert {i["contact_id"] for i in interactions(world)} == {dee["id"]}

    def test_without_an_email_or_known_id_it_is_ignored(self, sender: TestClient,
                                                        world: TestClient) -> None:
        result = sender.post("/v1/identify", json={"userId": "u-9", "traits": {"plan": "x"}})
        assert result.status_code == 200 and result.json()["ignored"] == 1
        assert "email" in result.json()["items"][0]["reason"]
        assert world.get("/api/v1/contacts").json()["items"] == []

    @pytest.mark.parametrize("traits, field", [
        ({"email": "not-an-email"}, "traits.email"),
        ({"email": "a@b.test", "firstName": "x" * 300}, "traits.first_name"),
        ({"email": "a@b.test", "company": {"name": "Acme", "domain": "no domain"}},
         "traits.domain"),
    ])
    def test_bad_traits_are_reported_and_change_nothing(
        self, sender: TestClient, world: TestClient, traits: dict[str, Any], field: str
    ) -> None:
        result = sender.post("/v1/identify", json={"userId": "u-1", "traits": traits})
        assert result.status_code == 200 and result.json()["error"] == 1
        assert field in {e["field"] for e in result.json()["items"][0]["errors"]}
        assert world.get("/api/v1/contacts").json()["items"] == []


class TestTrack:
    @pytest.mark.parametrize("event, key", [
        ("Email Delivered", "email_delivered"), ("Email Opened", "email_opened"),
        ("Email Link Clicked", "email_clicked"), ("Email Bounced", "email_bounced"),
        ("Unsubscribed", "email_unsubscribed"), ("Email Forwarded", "email_forwarded"),
        ("Form Submitted", "form_submitted"), ("Webinar Registered", "event_registered"),
        ("Event Attended", "event_attended"), ("email_opened", "email_opened"),
        ("EmailClicked", "email_clicked"),
    ])
    def test_spec_event_names_map_to_types(self, sender: TestClient, world: TestClient,
                                           event: str, key: str) -> None:
        sender.post("/v1/track", json={"userId": "a@b.test", "event": event})
        assert [i["type"] for i in interactions(world)] == [key]

    def test_marked_as_spam_is_an_unsubscribe_for_spam(self, sender: TestClient,
                                                       world: TestClient) -> None:
        sender.post("/v1/track", json={"userId": "a@b.test", "event": "Email Marked as Spam"})
        [item] = interactions(world)
        assert (item["type"], item["attributes"]["reason"]) == ("email_unsubscribed", "spam")

    def test_a_declared_interaction_type_maps_by_name_or_key(
        self, sender: TestClient, world: TestClient
    ) -> None:
        declared = world.post("/api/v1/interaction-types", json={
            "key": "webinar_watched", "name": "WebinarWatched",
            "attributes": [{"key": "minutes", "type": "number"}]})
        assert declared.status_code == 201, declared.text
        for event in ("Webinar Watched", "webinar_watched", "WebinarWatched"):
            sender.post("/v1/track", json={"userId": "a@b.test", "event": event,
                                           "properties": {"minutes": "12"}})
        items = interactions(world)
        assert [(i["type"], i["attributes"]["minutes"]) for i in items] == [
            ("webinar_watched", 12)] * 3

    def test_unknown_events_are_acknowledged_counted_and_ignored(
        self, sender: TestClient, world: TestClient
    ) -> None:
        result = sender.post("/v1/batch", json={"batch": [
            {"type": "track", "userId": "a@b.test", "event": "Order Completed"},
            {"type": "track", "userId": "a@b.test", "event": "Email Opened"}]})
        body = result.json()
        assert (result.status_code, body["success"]) == (200, True)
        assert (body["ignored"], body["created"]) == (1, 1)
        assert "Order Completed" in body["items"][0]["reason"]
        assert len(interactions(world)) == 1

    def test_properties_become_fields_references_and_attributes(
        self, sender: TestClient, world: TestClient
    ) -> None:
        sender.post("/v1/track", json={
            "userId": "a@b.test", "event": "Email Link Clicked", "messageId": "msg-1",
            "timestamp": "2024-03-01T09:30:00.000Z",
            "properties": {"email_id": "invite", "link_url": "https://x.test/offer",
                           "email_subject": "Hello", "campaign_id": "unknown-campaign",
                           "clicks": 2, "items": [1, 2], "meta": {"a": 1}}})
        [item] = interactions(world)
        assert (item["email"], item["campaign"], item["link"]) == (
            "invite", "spring", "https://x.test/offer")
        assert (item["external_id"], item["source"]) == ("msg-1", "segment")
        assert item["occurred_at"].startswith("2024-03-01T09:30:00")
        # A value naming no record is kept, not refused; lists and objects are left out.
        assert item["attributes"] == {"email_subject": "Hello", "clicks": "2",
                                      "campaign_id": "unknown-campaign"}

    def test_a_repeated_message_id_is_stored_once(self, sender: TestClient,
                                                  world: TestClient) -> None:
        message = {"userId": "a@b.test", "event": "Email Opened", "messageId": "m-1"}
        first = sender.post("/v1/track", json=message).json()["items"][0]
        again = sender.post("/v1/batch", json={"batch": [{**message, "type": "track"}]}).json()
        assert again["duplicate"] == 1 and again["items"][0]["id"] == first["id"]
        assert len(interactions(world)) == 1

    def test_form_submitted_on_a_landing_page_creates_a_lead(
        self, sender: TestClient, world: TestClient
    ) -> None:
        result = sender.post("/v1/track", json={
            "anonymousId": "anon-1", "event": "Form Submitted",
            "context": {"traits": {"email": "eve@e.test"}},
            "properties": {"landing_page": "trial", "first_name": "Eve", "company": "Evil",
                           "how_heard": "podcast"}}).json()["items"][0]
        assert result["lead_created"] is True
        eve = contact(world, "eve@e.test")
        assert eve["first_name"] == "Eve" and eve["account_id"] is not None
        [item] = interactions(world)
        assert item["landing_page"] == "trial" and item["attributes"] == {"how_heard": "podcast"}

    @pytest.mark.parametrize("message, field", [
        ({"userId": "a@b.test"}, "event"),
        ({"event": "Email Opened"}, "userId"),
        ({"userId": "a@b.test", "event": "Email Opened", "timestamp": "yesterday"},
         "timestamp"),
        ({"anonymousId": "x" * 101, "event": "Email Opened"}, "anonymousId"),
        ({"userId": "a@b.test", "event": "Email Opened", "properties": "none"}, "properties"),
        ({"userId": "a@b.test", "event": "Email Bounced",
          "properties": {"bounce_type": "b" * 40}}, "properties.bounce_type"),
    ])
    def test_bad_messages_are_reported_and_store_nothing(
        self, sender: TestClient, world: TestClient, message: dict[str, Any], field: str
    ) -> None:
        result = sender.post("/v1/track", json=message)
        assert result.status_code == 200 and result.json()["error"] == 1
        assert field in {e["field"] for e in result.json()["items"][0]["errors"]}
        assert interactions(world) == []
        assert world.get("/api/v1/contacts").json()["items"] == []


class TestPageGroupAlias:
    def test_a_page_is_a_website_visit_with_the_page_url(self, sender: TestClient,
                                                         world: TestClient) -> None:
        sender.post("/v1/page", json={"userId": "a@b.test", "name": "Pricing",
                                      "context": {"page": {"url": "https://x.test/pricing"}},
                                      "properties": {"title": "Pricing - X"}})
        [item] = interactions(world)
        assert (item["type"], item["url"], item["contact_email"]) == (
            "website_visited", "https://x.test/pricing", "a@b.test")
        assert item["attributes"] == {"title": "Pricing - X", "name": "Pricing"}

    def test_group_creates_the_account_and_the_membership(self, sender: TestClient,
                                                          world: TestClient) -> None:
        result = sender.post("/v1/group", json={"userId": "a@acme.test", "groupId": "org-1",
                                                "traits": {"name": "Acme", "website":
                                                           "https://www.acme.test",
                                                           "industry": "Tools",
                                                           "employees": 250}})
        assert result.json()["updated"] == 1
        account = world.get("/api/v1/accounts/acme.test").json()
        assert (account["name"], account["industry"], account["employees"]) == (
            "Acme", "Tools", 250)
        assert account["external_id"] == "org-1"
        assert contact(world, "a@acme.test")["account_id"] == account["id"]

    def test_a_group_id_seen_before_names_the_account(self, sender: TestClient,
                                                      world: TestClient) -> None:
        sender.post("/v1/group", json={"userId": "a@acme.test", "groupId": "org-1",
                                       "traits": {"name": "Acme"}})
        sender.post("/v1/group", json={"userId": "b@acme.test", "groupId": "org-1"})
        [account] = world.get("/api/v1/accounts").json()["items"]
        assert contact(world, "b@acme.test")["account_id"] == account["id"]

    @pytest.mark.parametrize("traits, field", [
        ({}, "traits.name"), ({"name": "Acme", "employees": "many"}, "traits.employees"),
    ])
    def test_a_bad_group_call_changes_nothing(self, sender: TestClient, world: TestClient,
                                              traits: dict[str, Any], field: str) -> None:
        result = sender.post("/v1/group", json={"userId": "a@b.test", "groupId": "g",
                                                "traits": traits}).json()
        assert field in {e["field"] for e in result["items"][0]["errors"]}
        assert world.get("/api/v1/accounts").json()["items"] == []
        assert world.get("/api/v1/contacts").json()["items"] == []

    def test_alias_joins_an_anonymous_id_to_the_user(self, sender: TestClient,
                                                     world: TestClient) -> None:
        sender.post("/v1/page", json={"anonymousId": "anon-3", "properties": {"url": "u"}})
        result = sender.post("/v1/alias", json={"previousId": "anon-3", "userId": "f@f.test"})
        assert result.json()["items"][0]["attached_visits"] == 1
        [visit] = interactions(world)
        assert visit["contact_email"] == "f@f.test"

    def test_screen_calls_are_acknowledged_only(self, sender: TestClient,
                                                world: TestClient) -> None:
        result = sender.post("/v1/screen", json={"userId": "a@b.test", "name": "Home"})
        assert result.json()["ignored"] == 1 and interactions(world) == []


def test_a_batch_with_bad_items_keeps_the_good_ones(sender: TestClient,
                                                    world: TestClient) -> None:
    result = sender.post("/v1/batch", json={
        "context": {"traits": {"email": "shared@x.test"}},
        "batch": [
            {"type": "track", "anonymousId": "a-1", "event": "Email Opened"},
            {"type": "identify", "userId": "g@g.test", "traits": {"email": "bad"}},
            "not a message",
            {"type": "teleport", "userId": "g@g.test"},
            {"type": "identify", "userId": "h@h.test", "traits": {"firstName": "Hal"}},
        ]})
    body = result.json()
    assert (result.status_code, body["success"], body["received"]) == (200, True, 5)
    assert [i["status"] for i in body["items"]] == [
        "created", "error", "error", "error", "updated"]
    assert (body["created"], body["updated"], body["error"]) == (1, 1, 3)
    emails = {c["email"] for c in world.get("/api/v1/contacts").json()["items"]}
    assert emails == {"shared@x.test", "h@h.test"}  # the batch context named the first one


# -- the official SDK against a live server ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live(db: Database) -> Iterator[str]:
    """leadflow served by uvicorn on a free local port, over the test database."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("zipped", [False, True])
def test_the_official_sdk_lands_unchanged(live: str, world: TestClient, ingest: Tenant,
                                          zipped: bool) -> None:
    analytics = Client(write_key=ingest.key, host=live, sync_mode=True, gzip=zipped)
    when = datetime(2024, 4, 2, 8, 15, tzinfo=UTC)
    analytics.page(anonymous_id="sdk-anon", name="Home",
                   properties={"url": "https://x.test/"}, timestamp=when)
    analytics.identify("sdk@x.test", {"firstName": "Sam", "title": "CMO", "company": "Sdk Co"},
                       anonymous_id="sdk-anon")
    analytics.track("sdk@x.test", "Email Link Clicked",
                    {"email_id": "invite", "link_url": "https://x.test/l", "variant": "B"},
                    timestamp=when, message_id="sdk-msg-1")
    analytics.group("sdk@x.test", "sdk-org", {"name": "Sdk Co", "domain": "sdk.test",
                                              "employees": 12})
    sam = contact(world, "sdk@x.test")
    assert (sam["first_name"], sam["job_title"]) == ("Sam", "CMO")
    account = world.get("/api/v1/accounts/sdk.test").json()
    assert sam["account_id"] == account["id"] and account["employees"] == 12
    visit, click = interactions(world, sort="id")
    assert (visit["type"], visit["url"], visit["contact_id"]) == (
        "website_visited", "https://x.test/", sam["id"])
    assert visit["occurred_at"].startswith("2024-04-02T08:15:00")
    assert (click["type"], click["email"], click["link"], click["external_id"]) == (
        "email_clicked", "invite", "https://x.test/l", "sdk-msg-1")
    assert click["attributes"] == {"variant": "B"}


def test_the_sdk_sees_a_bad_write_key_refused(live: str, world: TestClient) -> None:
    analytics = Client(write_key="lf_wrong", host=live, sync_mode=True)
    with pytest.raises(APIError) as refused:
        analytics.track("a@b.test", "Email Opened")
    assert refused.value.status == 401 and refused.value.code == "unauthorized"


ENGAGEMENT: dict[str, Any] = {
    "key": "engagement", "name": "Engagement", "lead_scope": "contact", "sales_ready_score": 100,
    "grades": [{"name": "cold", "max": 9}, {"name": "warm", "min": 10}],
    "rules": [
        {"name": "Clicks", "points": 10,
         "conditions": [{"entity": "EmailClicked", "frequency": "each", "window": {"days": 30}}]},
        {"name": "Visits", "points": 1,
         "conditions": [{"entity": "WebsiteVisited", "frequency": "each"}]},
    ],
}


def test_activity_is_scored_before_the_answer(sender: TestClient, api: TestClient,
                                              db: Database) -> None:
    from leadflow.services import worker

    api.post("/api/v1/contacts", json={"email": "ana@acme.test"})
    lead = api.post("/api/v1/leads", json={"contact_email": "ana@acme.test"}).json()
    assert api.post("/api/v1/scoring-models", json=ENGAGEMENT | {"status": "live"}
                    ).status_code == 201
    worker.tick(db)

    def score() -> int:
        models = api.get(f"/api/v1/leads/{lead['id']}/scores").json()["models"]
        return int(next(m["score"] for m in models if m["model"] == "engagement"))

    for path in ("/a", "/b"):
        sender.post("/v1/page", json={"anonymousId": "anon-9", "properties": {"url": path}})
    sender.post("/v1/identify", json={"anonymousId": "anon-9",
                                      "traits": {"email": "ana@acme.test"}})
    assert score() == 2  # the earlier visits count once they are the contact's
    click = {"type": "track", "userId": "ana@acme.test", "event": "Email Link Clicked"}
    sender.post("/v1/batch", json={"batch": [click, click]})
    assert score() == 22
