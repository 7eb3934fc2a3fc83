"""REST routes for interactions: ingest one or a batch, list and read them."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from leadflow.api.deps import ActorDep, SessionDep, require_read
from leadflow.domain.roles import may_ingest
from leadflow.errors import FieldError, Forbidden, ValidationFailed
from leadflow.services import records
from leadflow.services.ingestion.ingest import MAX_BATCH, Ingestor
from leadflow.services.ingestion.inputs import InteractionIn
from leadflow.services.resources import INTERACTIONS

router = APIRouter(prefix="/interactions", tags=["interactions"])

BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/InteractionIn"},
            {"type": "object", "properties": {"items": {
                "type": "array", "maxItems": MAX_BATCH,
                "items": {"$ref": "#/components/schemas/InteractionIn"}}}},
        ]}}},
    }
}


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as error:
        raise ValidationFailed("The request is not valid", errors=[
            FieldError("body", "the body is not valid JSON")]) from error


@router.post("", summary="Ingest one interaction, or a batch of up to 1,000",
             openapi_extra=BODY, status_code=201)
async def ingest(request: Request, session: SessionDep, actor: ActorDep) -> JSONResponse:
    if not may_ingest(actor.role):
        raise Forbidden(f"a key with role '{actor.role}' may not send interactions")
    body = await _json(request)
    # The database work runs in a worker thread: blocking the event loop while waiting for a
    # row lock held by another request (which needs the loop to commit) would deadlock.
    return await run_in_threadpool(_ingest, session, actor, body)


def _ingest(session: SessionDep, actor: ActorDep, body: Any) -> JSONResponse:
    ingestor = Ingestor(session, actor.company, source="api")
    if isinstance(body, list) or (isinstance(body, dict) and "items" in body):
        items = body if isinstance(body, list) else body["items"]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValidationFailed("`items` must be a list of interaction objects")
        outcomes = ingestor.batch(items)
        counts = {s: sum(o.status == s for o in outcomes)
                  for s in ("created", "duplicate", "ignored", "error")}
        return JSONResponse({"items": [o.as_dict() for o in outcomes], **counts})
    try:
        data = InteractionIn.model_validate(body)
    except ValidationError as error:
        raise ValidationFailed("The request is not valid", errors=[
            FieldError(".".join(str(p) for p in e["loc"]) or "body",
                       "unknown field" if e["type"] == "extra_forbidden" else e["msg"])
            for e in error.errors()]) from error
    outcome = ingestor.one(data)
    return JSONResponse(outcome.as_dict(), status_code=201 if outcome.status == "created" else 200)


@router.get("", summary="List interactions")
def list_interactions(request: Request, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    rows, cursor = records.list_page(session, actor.company.id, INTERACTIONS, params)
    return {"items": records.serialize(session, actor.company.id, INTERACTIONS, rows),
            "next_cursor": cursor}


@router.get("/{interaction_id}", summary="Read an interaction")
def read_interaction(interaction_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    row = records.get(session, actor.company.id, INTERACTIONS, interaction_id)
    return records.serialize_one(session, actor.company.id, INTERACTIONS, row)
