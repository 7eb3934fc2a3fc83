"""SendGrid's Event Webhook at `POST /hooks/sendgrid` (SPEC §6.2, email provider events).

SendGrid posts a JSON array of events. The key is a leadflow API key given as the HTTP Basic
user name (SendGrid keeps `https://KEY@host/hooks/sendgrid` as Basic credentials) or as
`?key=`. Each event is stored idempotently by `sg_event_id` (source `sendgrid`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from leadflow.api.deps import SessionDep
from leadflow.db.tables import Company
from leadflow.errors import FieldError, LeadflowError
from leadflow.integrations.common import (
    BOUNCE_TYPE_WIDTH,
    ItemResult,
    RecordLinks,
    api_key,
    bad_body,
    check_width,
    counts,
    deferred_ingestor,
    ingest_actor,
    read_json,
    rescore,
)
from leadflow.integrations.sendgrid_mapping import SendGridEvent, translate
from leadflow.services.ingestion.ingest import MAX_BATCH

log = logging.getLogger("leadflow.integrations.sendgrid")
router = APIRouter(tags=["sendgrid"])
MAX_BODY_BYTES = 5_000_000  # SendGrid batches events; a busy account's posts are large
HOW = ("as the HTTP Basic user name (https://KEY@your-host/hooks/sendgrid) "
       "or as ?key=KEY in the webhook URL")
BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "array", "items": {"type": "object", "additionalProperties": True},
    "description": "SendGrid Event Webhook events, exactly as SendGrid posts them.",
}}}}}


@router.post("/hooks/sendgrid", summary="SendGrid Event Webhook", openapi_extra=BODY)
async def sendgrid_events(request: Request, session: SessionDep) -> dict[str, Any]:
    key = api_key(request)
    actor = await run_in_threadpool(ingest_actor, session, key, HOW, "email events")
    body = await read_json(request, MAX_BODY_BYTES)
    if not isinstance(body, list):
        raise bad_body("SendGrid's Event Webhook posts a JSON array of events")
    # The database work runs off the event loop, so other requests are served meanwhile.
    results = await run_in_threadpool(_ingest, session, actor.company, body)
    tally = counts(results)
    if tally["error"]:
        log.warning("SendGrid: %d of %d events refused for company %s", tally["error"],
                    len(results), actor.company.key)
    # 200 even when some events were refused: SendGrid retries a whole post that fails, and
    # a bad event would not get better. The body says what happened to each.
    return {"received": len(results), **tally,
            "items": [r.as_dict(index=i, event=_name(e))
                      for i, (e, r) in enumerate(zip(body, results, strict=True))]}


def _ingest(session: Session, company: Company, events: list[Any]) -> list[ItemResult]:
    """Translate every event, then store them through the Ingestor's batch path.

    Email events are plain activity of a contact known by email, so the Ingestor stores them
    set-wise; the leads they touch are rescored once, at the end.
    """
    results: dict[int, ItemResult] = {}
    pending: list[tuple[int, dict[str, Any]]] = []
    links = RecordLinks(session, company.id)
    for index, event in enumerate(events):
        try:
            item = _interaction(translate(event), links)
        except LeadflowError as error:
            results[index] = ItemResult("error", errors=error.errors
                                        or [FieldError("", error.detail)])
            continue
        if isinstance(item, ItemResult):
            results[index] = item
        else:
            pending.append((index, item))
    ingestor = deferred_ingestor(session, company, "sendgrid")
    for start in range(0, len(pending), MAX_BATCH):
        chunk = pending[start:start + MAX_BATCH]
        outcomes = ingestor.batch([item for _, item in chunk])
        for (index, _), outcome in zip(chunk, outcomes, strict=True):
            results[index] = ItemResult.of(outcome)
    rescore(ingestor)
    return [results[index] for index in range(len(events))]


def _interaction(mapped: SendGridEvent, links: RecordLinks) -> dict[str, Any] | ItemResult:
    """The InteractionIn body of one mapped event, or the result of an event not stored."""
    if mapped.key is None:
        return ItemResult("ignored", reason=mapped.reason)
    check_width("type", mapped.bounce_type, BOUNCE_TYPE_WIDTH)
    ids, unknown = links.resolve(mapped.references or {})
    return {
        "type": mapped.key, "occurred_at": mapped.occurred_at, "contact_email": mapped.email,
        "external_id": mapped.external_id, "link": mapped.link,
        "bounce_type": mapped.bounce_type, **ids,
        "attributes": {**(mapped.attributes or {}), **unknown},
    }


def _name(event: Any) -> Any:
    return event.get("event") if isinstance(event, dict) else None
