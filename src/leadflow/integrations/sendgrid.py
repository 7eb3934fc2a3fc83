"""SendGrid's Event Webhook at `POST /hooks/sendgrid` (SPEC §6.2, email provider events).

SendGrid posts a JSON array of events. The key is a leadflow API key given as the HTTP Basic
user name (SendGrid keeps `https://KEY@host/hooks/sendgrid` as Basic credentials) or as
`?key=`. Each event is stored idempotently by `sg_event_id` (source `sendgrid`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from leadflow.api.deps import SessionDep
from leadflow.db.tables import Company
from leadflow.integrations.common import (
    BOUNCE_TYPE_WIDTH,
    ItemResult,
    api_key,
    bad_body,
    check_width,
    counts,
    deferred_ingestor,
    ingest_actor,
    link_records,
    read_json,
    rescore,
    run_item,
)
from leadflow.integrations.sendgrid_mapping import translate
from leadflow.services.ingestion.ingest import Ingestor
from leadflow.services.ingestion.inputs import InteractionIn

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
    actor = ingest_actor(session, api_key(request), HOW, "email events")
    body = await read_json(request, MAX_BODY_BYTES)
    if not isinstance(body, list):
        raise bad_body("SendGrid's Event Webhook posts a JSON array of events")
    ingestor = deferred_ingestor(session, actor.company, "sendgrid")
    results = [_run(session, actor.company, ingestor, event) for event in body]
    rescore(ingestor)
    tally = counts(results)
    if tally["error"]:
        log.warning("SendGrid: %d of %d events refused for company %s", tally["error"],
                    len(results), actor.company.key)
    # 200 even when some events were refused: SendGrid retries a whole post that fails, and
    # a bad event would not get better. The body says what happened to each.
    return {"received": len(results), **tally,
            "items": [r.as_dict(index=i, event=_name(e))
                      for i, (e, r) in enumerate(zip(body, results, strict=True))]}


def _run(session: Session, company: Company, ingestor: Ingestor, event: Any) -> ItemResult:
    return run_item(session, lambda: _store(session, company, ingestor, event))


def _store(session: Session, company: Company, ingestor: Ingestor, event: Any) -> ItemResult:
    mapped = translate(event)
    if mapped.key is None:
        return ItemResult("ignored", reason=mapped.reason)
    check_width("type", mapped.bounce_type, BOUNCE_TYPE_WIDTH)
    ids, unknown = link_records(session, company.id, mapped.references or {})
    data = InteractionIn.model_validate({
        "type": mapped.key, "occurred_at": mapped.occurred_at, "contact_email": mapped.email,
        "external_id": mapped.external_id, "link": mapped.link,
        "bounce_type": mapped.bounce_type, **ids,
        "attributes": {**(mapped.attributes or {}), **unknown},
    })
    return ItemResult.of(ingestor.one(data))


def _name(event: Any) -> Any:
    return event.get("event") if isinstance(event, dict) else None
