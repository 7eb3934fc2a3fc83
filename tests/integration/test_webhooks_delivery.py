"""Delivery by the worker to a real local HTTP receiver (SPEC §6.4): Standard Webhooks
signatures, retries with backoff keeping the webhook-id, timeouts, dead letters, redelivery,
and no message lost to a crash between the commit and the delivery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from standardwebhooks import Webhook, WebhookVerificationError

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.db.types import utcnow
from leadflow.services import worker
from leadflow.services.webhooks import delivery
from tests.integration.webhook_receiver import Answer, Receiver, receiver

API = "/api/v1"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SCHEDULE = [timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2),
            timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6), timedelta(hours=24)]


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as found:
        yield found


@pytest.fixture
def subscribed(api: TestClient, hooks: Receiver) -> TestClient:
    """A subscription to lead.created at the receiver, with a known secret."""
    body = {"key": "crm", "url": hooks.url, "events": ["lead.created"], "secret": SECRET}
    assert api.post(f"{API}/webhooks", json=body).status_code == 201
    return api


def create_lead(api: TestClient, name: str = "Ana", email: str = "ana@acme.test") -> int:
    api.post(f"{API}/contacts", json={"email": email})
    result = api.post(f"{API}/leads", json={"name": name, "contact_email": email})
    assert result.status_code == 201, result.text
    return int(result.json()["id"])


def the_delivery(db: Database) -> t.WebhookDelivery:
    with db.transaction() as session:
        return session.scalars(select(t.WebhookDelivery)).one()


def attempts(db: Database) -> list[t.WebhookAttempt]:
    with db.transaction() as session:
        return list(session.scalars(select(t.WebhookAttempt).order_by(t.WebhookAttempt.id)))


def verify(request: Any, secret: str = SECRET) -> dict[str, Any]:
    return dict(Webhook(secret).verify(request.body, request.headers))


def test_a_message_is_signed_and_delivered(subscribed: TestClient, db: Database,
                                           hooks: Receiver) -> None:
    lead_id = create_lead(subscribed)
    done = worker.tick(db)
    assert done.webhooks == 1
    [request] = hooks.received
    body = verify(request)
    assert (body["type"], body["data"]["lead"]["id"]) == ("lead.created", lead_id)
    assert request.headers["content-type"] == "application/json"
    sent = the_delivery(db)
    assert request.headers["webhook-id"] == sent.message_id
    assert (sent.status, sent.attempts, sent.last_status_code) == ("delivered", 1, 200)
    assert sent.delivered_at is not None and sent.next_attempt_at is None
    [attempt] = attempts(db)
    assert (attempt.status_code, attempt.response_body, attempt.error) == (200, "ok", None)
    assert attempt.duration_ms is not None and attempt.duration_ms >= 0
    assert worker.tick(db).webhooks == 0  # delivered once, not again


def test_a_wrong_secret_or_a_changed_body_does_not_verify(subscribed: TestClient,
                                                          db: Database, hooks: Receiver) -> None:
    create_lead(subscribed)
    worker.tick(db)
    [request] = hooks.received
    with pytest.raises(WebhookVerificationError):
        verify(request, "whsec_" + "A" * 32)
    tampered = request.body.replace(b"lead.created", b"lead.updated")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, request.headers)


def test_failures_are_retried_on_schedule_with_the_same_webhook_id(
    subscribed: TestClient, db: Database, hooks: Receiver
) -> None:
    hooks.default = Answer(500, b"down for maintenance")
    create_lead(subscribed)
    now = utcnow()
    for number, wait in enumerate(SCHEDULE, start=1):
        assert delivery.deliver_due(db, now) == 1
        sent = the_delivery(db)
        assert (sent.status, sent.attempts, sent.last_status_code) == ("pending", number, 500)
        assert sent.next_attempt_at == now + wait
        assert delivery.deliver_due(db, now + wait - timedelta(seconds=1)) == 0  # not yet
        now += wait
    assert delivery.deliver_due(db, now) == 1  # the eighth and last try
    dead = the_delivery(db)
    assert (dead.status, dead.attempts, dead.next_attempt_at) == ("dead", 8, None)
    assert dead.last_error == "HTTP 500"
    assert delivery.deliver_due(db, now + timedelta(days=30)) == 0
    assert len({r.headers["webhook-id"] for r in hooks.received}) == 1
    assert len(hooks.received) == 8
    for request in hooks.received:
        verify(request)  # every try signed afresh
    log = attempts(db)
    assert [a.status_code for a in log] == [500] * 8
    assert {a.response_body for a in log} == {"down for maintenance"}


def test_a_retry_that_succeeds_delivers(subscribed: TestClient, db: Database,
                                        hooks: Receiver) -> None:
    hooks.answer(Answer(503), Answer(404))
    create_lead(subscribed)
    now = utcnow()
    delivery.deliver_due(db, now)
    delivery.deliver_due(db, now + SCHEDULE[0])
    delivery.deliver_due(db, now + SCHEDULE[0] + SCHEDULE[1])
    sent = the_delivery(db)
    assert (sent.status, sent.attempts) == ("delivered", 3)
    assert [a.status_code for a in attempts(db)] == [503, 404, 200]
    assert len({r.headers["webhook-id"] for r in hooks.received}) == 1


def test_a_slow_receiver_times_out(subscribed: TestClient, db: Database, hooks: Receiver) -> None:
    hooks.answer(Answer(200, delay=1.5))
    create_lead(subscribed)
    now = utcnow()
    assert delivery.deliver_due(db, now, timeout=0.3) == 1
    sent = the_delivery(db)
    assert (sent.status, sent.attempts, sent.last_status_code) == ("pending", 1, None)
    assert sent.last_error is not None and "timed out" in sent.last_error
    assert sent.next_attempt_at == now + SCHEDULE[0]
    [attempt] = attempts(db)
    assert (attempt.status_code, attempt.error) == (None, sent.last_error)


def test_the_timeout_is_a_setting(subscribed: TestClient, db: Database, hooks: Receiver,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_WEBHOOK_TIMEOUT", "0.3")
    hooks.answer(Answer(200, delay=1.5))
    create_lead(subscribed)
    worker.tick(db)
    assert "timed out after 0.3 s" in (the_delivery(db).last_error or "")


def test_an_unreachable_receiver_is_a_failed_try(api: TestClient, db: Database) -> None:
    with receiver() as gone:
        url = gone.url  # a port that nothing listens on once the block ends
    body = {"key": "crm", "url": url, "events": ["lead.created"]}
    assert api.post(f"{API}/webhooks", json=body).status_code == 201
    create_lead(api)
    worker.tick(db)
    sent = the_delivery(db)
    assert (sent.status, sent.attempts, sent.last_status_code) == ("pending", 1, None)
    assert sent.last_error


def test_a_long_answer_is_kept_truncated(subscribed: TestClient, db: Database,
                                         hooks: Receiver) -> None:
    hooks.answer(Answer(500, b"x" * 100_000))
    create_lead(subscribed)
    worker.tick(db)
    [attempt] = attempts(db)
    assert attempt.response_body == "x" * delivery.BODY_LIMIT


def test_redelivery_sends_the_same_message_again(subscribed: TestClient, db: Database,
                                                 hooks: Receiver) -> None:
    create_lead(subscribed)
    worker.tick(db)
    sent = the_delivery(db)
    result = subscribed.post(f"{API}/webhooks/deliveries/{sent.id}/redeliver")
    assert result.status_code == 202, result.text
    assert result.json()["status"] == "pending"
    again = subscribed.post(f"{API}/webhooks/deliveries/{sent.id}/redeliver")
    assert again.status_code == 409  # already queued
    worker.tick(db)
    first, second = hooks.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == sent.message_id
    assert first.body == second.body
    assert (the_delivery(db).status, len(attempts(db))) == ("delivered", 2)


def test_a_dead_message_is_redelivered_with_a_fresh_schedule(
    subscribed: TestClient, db: Database, hooks: Receiver, cli: Any
) -> None:
    hooks.default = Answer(500)
    create_lead(subscribed)
    now = utcnow()
    for wait in [timedelta(0), *SCHEDULE]:
        now += wait
        delivery.deliver_due(db, now)
    dead = the_delivery(db)
    assert dead.status == "dead"
    hooks.default = Answer(204, b"")
    result = cli("webhooks", "redeliver", str(dead.id))
    assert result.exit_code == 0, result.output
    assert the_delivery(db).attempts == 0
    worker.tick(db)
    sent = the_delivery(db)
    assert (sent.status, sent.attempts, sent.last_status_code) == ("delivered", 1, 204)
    assert {r.headers["webhook-id"] for r in hooks.received} == {dead.message_id}


def test_a_crash_between_commit_and_delivery_loses_nothing(
    subscribed: TestClient, database_url: str, hooks: Receiver
) -> None:
    create_lead(subscribed)  # committed; no worker ran: the process "crashes" here
    fresh = Database(database_url)  # a new worker process, with nothing in memory
    try:
        assert worker.tick(fresh).webhooks == 1
    finally:
        fresh.dispose()
    [request] = hooks.received
    assert verify(request)["type"] == "lead.created"


def test_a_worker_that_dies_holding_a_message_only_delays_it(
    subscribed: TestClient, db: Database, hooks: Receiver
) -> None:
    from leadflow.db import webhooks as queries

    create_lead(subscribed)
    now = utcnow()
    lease = now + timedelta(minutes=5)
    with db.transaction() as session:
        [claimed] = queries.claim_due(session, now, lease, 10)
    # The worker that claimed it died: no other worker takes it before the lease ends …
    assert delivery.deliver_due(db, now + timedelta(minutes=1)) == 0
    assert delivery.deliver_due(db, lease) == 1  # … then one does.
    assert the_delivery(db).status == "delivered"
    assert [r.headers["webhook-id"] for r in hooks.received] == [claimed.message_id]


def test_messages_of_a_disabled_subscription_wait(subscribed: TestClient, db: Database,
                                                  hooks: Receiver) -> None:
    create_lead(subscribed)
    assert subscribed.patch(f"{API}/webhooks/crm", json={"enabled": False}).status_code == 200
    assert worker.tick(db).webhooks == 0
    assert subscribed.patch(f"{API}/webhooks/crm", json={"enabled": True}).status_code == 200
    assert worker.tick(db).webhooks == 1
    assert len(hooks.received) == 1


def test_a_test_message_reaches_the_receiver(subscribed: TestClient, db: Database,
                                             hooks: Receiver) -> None:
    result = subscribed.post(f"{API}/webhooks/crm/test")
    assert result.status_code == 202, result.text
    assert result.json()["event_type"] == "webhook.test"
    worker.tick(db)
    [request] = hooks.received
    assert verify(request)["data"]["subscription"] == "crm"


def test_many_messages_in_one_pass(subscribed: TestClient, db: Database, hooks: Receiver
                                   ) -> None:
    for number in range(7):
        create_lead(subscribed, f"Lead {number}", f"p{number}@acme.test")
    assert worker.tick(db).webhooks == 7
    bodies = [json.loads(r.body) for r in hooks.received]
    assert sorted(b["data"]["lead"]["name"] for b in bodies) == [f"Lead {n}" for n in range(7)]
    with db.transaction() as session:
        statuses = set(session.scalars(select(t.WebhookDelivery.status)))
    assert statuses == {"delivered"}


def test_the_signature_timestamp_is_the_time_of_sending(subscribed: TestClient, db: Database,
                                                        hooks: Receiver) -> None:
    hooks.answer(Answer(500))
    create_lead(subscribed)
    later = utcnow() + timedelta(hours=3)  # the worker's clock for scheduling, driven here
    delivery.deliver_due(db, utcnow())
    delivery.deliver_due(db, later)
    assert len(hooks.received) == 2
    for request in hooks.received:  # both verify: stamped with the real time of sending
        verify(request)


def test_two_workers_claiming_at_once_take_different_messages(subscribed: TestClient,
                                                              db: Database) -> None:
    from leadflow.db import webhooks as queries

    if db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: claims cannot overlap there")
    create_lead(subscribed, "Ana", "ana@acme.test")
    create_lead(subscribed, "Bob", "bob@acme.test")
    now = utcnow()
    lease = now + timedelta(minutes=5)
    with db.transaction() as first:
        [mine] = queries.claim_due(first, now, lease, 1)
        with db.transaction() as second:  # another worker, while the first holds its claim
            second.execute(text("SET LOCAL lock_timeout = '2s'"))  # fail, not hang, if it waits
            theirs = queries.claim_due(second, now, lease, 10)
    assert [c.id for c in theirs] != [] and mine.id not in {c.id for c in theirs}
    assert len(theirs) == 1
