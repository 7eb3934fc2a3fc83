"""Sending the outbox: the worker's webhook step (SPEC §6.4).

A pass claims a few due deliveries in a short transaction, sends them with no transaction open
(an HTTP call may take up to the timeout), then writes each try to the delivery log in another
short transaction. Any number of workers may run: a claim moves the delivery's next try past a
lease, so others leave it alone (on PostgreSQL they skip rows being claimed), and a worker that
dies mid-send only delays the message until the lease ends. A message may therefore arrive
twice, always with the same `webhook-id`, which is how receivers recognise it.

Every request carries the Standard Webhooks headers: `webhook-id` (the message id, the same on
every try), `webhook-timestamp` (when this try was sent) and `webhook-signature` (`v1,` and the
HMAC-SHA256 of `id.timestamp.body` under the subscription's secret, by the `standardwebhooks`
package). A 2xx answer delivers the message; anything else, a network error or a timeout is a
failed try, retried after 5 s, 30 s, 2 min, 10 min, 1 h, 6 h and 24 h; after the eighth failed
try the message is `dead` until someone redelivers it.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import repeat
from typing import Any

import httpx
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from leadflow import __version__
from leadflow.db import tables as t
from leadflow.db import webhooks as queries
from leadflow.db.database import Database
from leadflow.db.types import utcnow

log = logging.getLogger("leadflow.webhooks")

RETRY_AFTER = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2),
               timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
MAX_TRIES = len(RETRY_AFTER) + 1
BODY_LIMIT = 2048  # of the receiver's answer kept in the log
ERROR_LIMIT = 500
CONCURRENCY = 4  # requests in flight at once, and deliveries claimed at once
PER_PASS = 200  # deliveries one pass sends at most, so jobs and rescoring get their turn
LEASE_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class Result:
    """What one try got: an HTTP status and body, or an error; how long it took."""

    status_code: int | None
    body: str | None
    error: str | None
    duration_ms: int
    sent_at: datetime

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver_due(database: Database, now: datetime | None = None, *,
                timeout: float | None = None, limit: int = PER_PASS) -> int:
    """Send the deliveries due at `now` (at most `limit`); how many were tried."""
    moment = now or utcnow()
    seconds = _timeout() if timeout is None else timeout
    lease = timedelta(seconds=seconds * 2) + LEASE_MARGIN
    tried = 0
    with ExitStack() as stack:
        client: httpx.Client | None = None
        pool: ThreadPoolExecutor | None = None
        while tried < limit:
            with database.transaction() as session:
                claimed = queries.claim_due(session, moment, moment + lease,
                                            min(CONCURRENCY, limit - tried))
            if not claimed:
                break
            if client is None or pool is None:  # only a pass with work opens them
                client = stack.enter_context(httpx.Client(timeout=seconds,
                                                          follow_redirects=False))
                pool = stack.enter_context(ThreadPoolExecutor(
                    CONCURRENCY, thread_name_prefix="webhook"))
            results = list(pool.map(send, repeat(client), claimed, repeat(seconds)))
            with database.transaction() as session:
                for delivery, result in zip(claimed, results, strict=True):
                    _record(session, delivery, result, moment)
            tried += len(claimed)
    return tried


def send(client: httpx.Client, delivery: queries.Claimed, timeout: float) -> Result:
    """POST one message, signed; never raises for what the receiver or the network does."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    sent_at = utcnow()  # the receiver compares it with its own clock, so the real time
    start = time.monotonic()
    try:
        signature = Webhook(delivery.secret).sign(delivery.message_id, sent_at, body)
    except Exception as error:  # a secret changed behind the API's back: fail this try only
        return Result(None, None, f"cannot sign: {error}"[:ERROR_LIMIT], 0, sent_at)
    headers = {
        "content-type": "application/json",
        "user-agent": f"leadflow-webhooks/{__version__}",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    try:
        with client.stream("POST", delivery.url, content=body.encode(), headers=headers
                           ) as response:
            kept = _read_some(response, BODY_LIMIT, start + timeout)
            return Result(response.status_code, kept, None, _ms(start), sent_at)
    except httpx.TimeoutException:
        return Result(None, None, f"timed out after {timeout:g} s", _ms(start), sent_at)
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ValueError) as error:
        text = str(error) or type(error).__name__
        return Result(None, None, text[:ERROR_LIMIT], _ms(start), sent_at)


def _read_some(response: httpx.Response, limit: int, deadline: float) -> str:
    """The start of the answer's body: the log keeps `limit` bytes, so no more is read."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= limit or time.monotonic() > deadline:
            break
    # PostgreSQL text cannot hold NUL characters.
    return data[:limit].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _record(session: Session, delivery: queries.Claimed, result: Result, moment: datetime
            ) -> None:
    """Log the try and move the delivery on: delivered, retried later, or dead."""
    session.add(t.WebhookAttempt(
        company_id=delivery.company_id, delivery_id=delivery.id, at=result.sent_at,
        status_code=result.status_code, response_body=result.body, error=result.error,
        duration_ms=result.duration_ms))
    tries = delivery.attempts + 1
    values: dict[str, Any] = {"attempts": tries, "last_status_code": result.status_code}
    if result.ok:
        values.update(status="delivered", delivered_at=result.sent_at, next_attempt_at=None,
                      last_error=None)
    else:
        values["last_error"] = result.error or f"HTTP {result.status_code}"
        if tries >= MAX_TRIES:
            values.update(status="dead", next_attempt_at=None)
            log.warning("webhook %s dead after %s tries: %s", delivery.message_id, tries,
                        values["last_error"])
        else:
            values["next_attempt_at"] = moment + RETRY_AFTER[tries - 1]
    session.flush()
    if not queries.finish(session, delivery, values):
        log.info("webhook %s was taken over or re-queued while being sent",
                 delivery.message_id)


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def _timeout() -> float:
    from leadflow.config import Settings

    return Settings().webhook_timeout
