"""SendGrid's Event Webhook at /hooks/sendgrid (SPEC §6.2, email provider events)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.api.app import create_app
from leadflow.db.database import Database
from tests.conftest import Tenant
from tests.integration.basic_auth import basic

URL = "/hooks/sendgrid"
SMTP_ID = "<14c5d75ce93.dfd.64b469@ismtpd-555>"


def documented(event: str, **fields: Any) -> dict[str, Any]:
    """An event shaped like the example in SendGrid's Event Webhook reference."""
    return {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": SMTP_ID,
            "event": event, "category": "cat facts", "sg_event_id": f"sg-{event}",
            "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0", **fields}


# SendGrid's reference example: one event of each kind, in one post.
REFERENCE_POST = [
    documented("processed"),
    documented("deferred", response="400 try again later", attempt="5"),
    documented("delivered", response="250 OK"),
    documented("open", useragent="Mozilla/4.0 (compatible; MSIE 6.1; Windows XP)",
               ip="255.255.255.255"),
    documented("click", useragent="Mozilla/4.0 (compatible; MSIE 6.1; Windows XP)",
               ip="255.255.255.255", url="http://www.sendgrid.com/",
               url_offset={"index": 0, "type": "html"}),
    documented("bounce", reason="500 unknown recipient", status="5.0.0", type="bounce",
               bounce_classification="Invalid Address"),
    documented("dropped", reason="Bounced Address", status="5.0.0"),
    documented("spamreport"),
    documented("unsubscribe"),
    documented("group_unsubscribe", useragent="Mozilla/4.0", ip="255.255.255.255",
               url="http://www.sendgrid.com/", asm_group_id=10),
    documented("group_resubscribe", useragent="Mozilla/4.0", ip="255.255.255.255",
               url="http://www.sendgrid.com/", asm_group_id=10),
]


@pytest.fixture
def hook(db: Database, ingest: Tenant) -> Iterator[TestClient]:
    """SendGrid's side: posts with the key as the Basic user name (https://KEY@host/…)."""
    with TestClient(create_app(db), headers=basic(ingest.key)) as client:
        yield client


def interactions(api: TestClient) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/interactions", params={"limit": "500", "sort": "id"})
                .json()["items"])


class TestMapping:
    def test_the_reference_example_lands_as_interactions(self, hook: TestClient,
                                                         api: TestClient) -> None:
        result = hook.post(URL, json=REFERENCE_POST)
        body = result.json()
        assert result.status_code == 200
        assert (body["received"], body["created"], body["ignored"], body["error"]) == (
            11, 8, 3, 0)
        stored = {i["attributes"]["sendgrid_event"]: i for i in interactions(api)}
        assert {e: i["type"] for e, i in stored.items()} == {
            "delivered": "email_delivered", "open": "email_opened", "click": "email_clicked",
            "bounce": "email_bounced", "dropped": "email_bounced",
            "spamreport": "email_unsubscribed", "unsubscribe": "email_unsubscribed",
            "group_unsubscribe": "email_unsubscribed"}
        assert stored["click"]["link"] == "http://www.sendgrid.com/"
        assert (stored["bounce"]["bounce_type"], stored["dropped"]["bounce_type"]) == (
            "bounce", "dropped")
        assert stored["spamreport"]["attributes"]["reason"] == "spam"
        assert stored["dropped"]["attributes"]["reason"] == "Bounced Address"
        assert stored["group_unsubscribe"]["attributes"]["asm_group_id"] == "10"
        open_ = stored["open"]
        assert (open_["external_id"], open_["source"], open_["contact_email"]) == (
            "sg-open", "sendgrid", "example@test.com")
        assert open_["occurred_at"].startswith("2017-12-15T00:59:29")
        assert open_["attributes"]["category"] == "cat facts"
        assert open_["attributes"]["message_id"].startswith("14c5d75ce93")
        # The recipient's IP address and user agent are not kept.
        assert "ip" not in open_["attributes"] and "useragent" not in open_["attributes"]

    def test_reasons_are_given_for_events_not_stored(self, hook: TestClient) -> None:
        items = hook.post(URL, json=[documented("processed"), documented("teleported")]).json()
        assert [i["status"] for i in items["items"]] == ["ignored", "ignored"]
        assert "delivery" in items["items"][0]["reason"]
        assert "teleported" in items["items"][1]["reason"]

    def test_a_blocked_bounce_keeps_its_type(self, hook: TestClient, api: TestClient) -> None:
        hook.post(URL, json=[documented("bounce", type="blocked", reason="spam block")])
        [item] = interactions(api)
        assert item["bounce_type"] == "blocked"

    def test_custom_args_link_records_or_become_attributes(self, hook: TestClient,
                                                           api: TestClient) -> None:
        for path, body in [("campaigns", {"key": "spring", "name": "Spring"}),
                           ("emails", {"key": "invite", "name": "Invite", "campaign": "spring"})]:
            assert api.post(f"/api/v1/{path}", json=body).status_code == 201
        hook.post(URL, json=[
            documented("open", campaign="spring", email_key="invite", variant="B",
                       category=["cat facts", "dog facts"]),
            documented("click", sg_event_id="sg-2", url="https://x.test",
                       campaign="no-such-campaign", marketing_email="invite")])
        opened, clicked = interactions(api)
        assert (opened["campaign"], opened["email"]) == ("spring", "invite")
        assert opened["attributes"]["variant"] == "B"
        assert opened["attributes"]["category"] == "cat facts, dog facts"
        assert clicked["email"] == "invite" and clicked["campaign"] == "spring"  # the email's
        assert clicked["attributes"]["campaign"] == "no-such-campaign"

    def test_a_repeated_event_is_stored_once(self, hook: TestClient, api: TestClient) -> None:
        hook.post(URL, json=REFERENCE_POST)
        again = hook.post(URL, json=REFERENCE_POST).json()
        assert (again["duplicate"], again["created"]) == (8, 0)
        assert len(interactions(api)) == 8

    def test_a_post_with_bad_events_keeps_the_good_ones(self, hook: TestClient,
                                                        api: TestClient) -> None:
        result = hook.post(URL, json=[
            documented("delivered", sg_event_id="ok-1", email="ok@x.test"),
            documented("open", email="not-an-email"),
            {k: v for k, v in documented("open").items() if k != "email"},
            documented("click", timestamp="yesterday"),
            documented("click", email="late@x.test", sg_event_id="", timestamp=""),
            {"email": "x@x.test"},
            ["not", "an", "event"],
            documented("bounce", type="b" * 40),
        ])
        body = result.json()
        assert result.status_code == 200
        assert [i["status"] for i in body["items"]] == [
            "created", "error", "error", "error", "created", "error", "error", "error"]
        fields = [{e["field"] for e in i.get("errors", [])} for i in body["items"]]
        assert fields[1:4] == [{"email"}, {"email"}, {"timestamp"}]
        assert fields[5] == {"event"} and fields[7] == {"type"}
        emails = {c["email"] for c in api.get("/api/v1/contacts").json()["items"]}
        assert emails == {"ok@x.test", "late@x.test"}  # bad events left no contact behind


class TestRequests:
    def test_key_as_query_parameter(self, db: Database, ingest: Tenant, api: TestClient) -> None:
        with TestClient(create_app(db)) as client:
            result = client.post(URL, params={"key": ingest.key}, json=[documented("open")])
        assert result.status_code == 200 and result.json()["created"] == 1

    def test_key_as_basic_password_or_bearer(self, db: Database, ingest: Tenant) -> None:
        with TestClient(create_app(db)) as client:
            as_password = client.post(URL, json=[documented("open")],
                                      headers=basic("", ingest.key))
            as_bearer = client.post(URL, json=[documented("click", url="u")],
                                    headers={"Authorization": f"Bearer {ingest.key}"})
        assert (as_password.status_code, as_bearer.status_code) == (200, 200)

    @pytest.mark.parametrize("auth", [{}, {"params": {"key": "lf_nope"}},
                                      {"headers": basic("lf_nope")}])
    def test_a_missing_or_unknown_key_is_refused(self, db: Database, api: TestClient,
                                                 auth: dict[str, Any]) -> None:
        with TestClient(create_app(db)) as client:
            result = client.post(URL, json=[documented("open")], **auth)
        assert result.status_code == 401
        assert result.headers["content-type"] == "application/problem+json"
        assert interactions(api) == []

    def test_a_key_that_may_not_send_is_forbidden(self, db: Database, site: Tenant,
                                                  make_key: Any, api: TestClient) -> None:
        viewer = make_key(site.company, "viewer")
        with TestClient(create_app(db)) as client:
            result = client.post(URL, json=[documented("open")], headers=basic(viewer.key))
        assert result.status_code == 403 and interactions(api) == []

    @pytest.mark.parametrize("content", [b"[{nope", b"", b'{"event": "open"}', b"42"])
    def test_a_malformed_body_is_refused_with_400(self, hook: TestClient, api: TestClient,
                                                  content: bytes) -> None:
        result = hook.post(URL, content=content, headers={"content-type": "application/json"})
        assert result.status_code == 400, result.text
        assert result.json()["errors"][0]["field"] == "body"
        assert interactions(api) == []

    def test_an_empty_post_is_acknowledged(self, hook: TestClient) -> None:
        result = hook.post(URL, json=[])
        assert result.status_code == 200 and result.json()["received"] == 0


def test_email_activity_is_scored_before_the_answer(hook: TestClient, api: TestClient,
                                                    db: Database) -> None:
    from leadflow.services import worker
    from tests.integration.test_segment import ENGAGEMENT

    api.post("/api/v1/contacts", json={"email": "ana@acme.test"})
    lead = api.post("/api/v1/leads", json={"contact_email": "ana@acme.test"}).json()
    assert api.post("/api/v1/scoring-models", json=ENGAGEMENT | {"status": "live"}
                    ).status_code == 201
    worker.tick(db)
    now = int(time.time())
    hook.post(URL, json=[documented("click", email="ana@acme.test", timestamp=now,
                                    url="https://x.test", sg_event_id=f"c-{n}")
                         for n in range(3)])
    models = api.get(f"/api/v1/leads/{lead['id']}/scores").json()["models"]
    assert next(m["score"] for m in models if m["model"] == "engagement") == 30
