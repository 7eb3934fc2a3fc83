"""REST routes for scoring models, lead scores (explanation, history, adjustments) and jobs."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from leadflow.api.deps import ActorDep, SessionDep, require_read, require_write
from leadflow.db import scoring as queries
from leadflow.errors import ValidationFailed
from leadflow.services import jobs, records
from leadflow.services.resources import LEADS
from leadflow.services.scoring import adjustments, models
from leadflow.services.scoring.explain import explain

router = APIRouter(tags=["scoring-models"])
RESOURCE = "scoring-models"
TEXT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},
    "text/plain": {"schema": {"type": "string"}}}}}


async def _model_source(request: Request) -> dict[str, Any] | str:
    """A model from a JSON body (the YAML/JSON shape) or a text/plain body (the text form)."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("text/plain"):
        return raw.decode("utf-8", errors="replace")
    try:
        import json

        body = json.loads(raw)
    except ValueError as error:
        raise ValidationFailed("the body is not valid JSON") from error
    if not isinstance(body, dict):
        raise ValidationFailed("a scoring model is a JSON object (or text/plain text form)")
    return body


def _publish(session: SessionDep, actor: ActorDep, key: str) -> dict[str, Any]:
    version = models.publish(session, actor.company.id, key, actor=f"key {actor.key_id}")
    body: dict[str, Any] = {"published": version is not None,
                            "version": version.version if version else None, "job": None}
    if version is not None:
        job = jobs.enqueue(session, actor.company.id, "rescore",
                           {"cause": "publish", "model": key})
        body["job"] = jobs.describe(job)
    return body


@router.get("/scoring-models", summary="List scoring models")
def list_models(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    rows = queries.models(session, actor.company.id)
    return {"items": [models.describe(session, r) for r in rows], "next_cursor": None}


@router.post("/scoring-models/validate", summary="Check a model without saving it",
             openapi_extra=TEXT_BODY)
async def validate_model(request: Request, session: SessionDep, actor: ActorDep
                         ) -> dict[str, Any]:
    require_read(actor)
    from leadflow.scoring.model import model_to_dict

    source = await _model_source(request)
    model = await run_in_threadpool(models.parse, session, actor.company.id, source)
    return {"valid": True, "definition": model_to_dict(model)}


@router.post("/scoring-models", status_code=201, openapi_extra=TEXT_BODY,
             summary="Create or replace a model's draft (JSON shape or text form)")
async def save_model(request: Request, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    source = await _model_source(request)
    return await run_in_threadpool(_save, session, actor, source)


def _save(session: SessionDep, actor: ActorDep, source: dict[str, Any] | str) -> dict[str, Any]:
    model = models.parse(session, actor.company.id, source)
    row, changed = models.save(session, actor.company.id, model)
    published = None
    if isinstance(source, dict) and source.get("status") == "live":
        published = _publish(session, actor, row.key)
    return {**models.describe(session, row), "changed": changed, "publish": published}


@router.get("/scoring-models/{key}", summary="Read a scoring model")
def read_model(key: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    return models.describe(session, models.get(session, actor.company.id, key))


@router.get("/scoring-models/{key}/text", response_class=PlainTextResponse,
            summary="The model's text form")
def model_text(key: str, session: SessionDep, actor: ActorDep) -> str:
    require_read(actor)
    return models.text_of(session, models.get(session, actor.company.id, key))


@router.post("/scoring-models/{key}/publish", summary="Publish the draft as a new live version")
def publish_model(key: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    return _publish(session, actor, key)


@router.post("/scoring-models/{key}/stop", summary="Stop the model; its scores leave the leads")
def stop_model(key: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    removed = models.stop(session, actor.company.id, key)
    return {"stopped": True, "scores_removed": removed}


@router.get("/jobs/{job_id}", tags=["jobs"], summary="A background job's progress")
def read_job(job_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    return jobs.describe(jobs.get(session, actor.company.id, job_id))


@router.get("/leads/{ident}/scores", tags=["leads"],
            summary="The lead's scores with their explanation, now or as of a past time")
def lead_scores(ident: str, session: SessionDep, actor: ActorDep,
                as_of: datetime | None = None) -> dict[str, Any]:
    require_read(actor)
    lead = records.get(session, actor.company.id, LEADS, ident)
    return explain(session, actor.company, lead, as_of)


@router.get("/leads/{ident}/score-history", tags=["leads"], summary="The lead's score ledger")
def score_history(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    lead = records.get(session, actor.company.id, LEADS, ident)
    keys = {m.id: m.key for m in queries.models(session, actor.company.id)}
    return {"items": [{
        "model": keys.get(e.model_id), "version": e.version, "old": e.old_score,
        "new": e.new_score, "delta": e.delta, "cause": e.cause, "cause_id": e.cause_id,
        "at": e.at.isoformat()} for e in queries.ledger_of(session, actor.company.id, lead.id)],
        "next_cursor": None}


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    points: int
    reason: str = Field(min_length=1, max_length=500)


@router.post("/leads/{ident}/score-adjustments", tags=["leads"], status_code=201,
             summary="Add or remove points by hand, with a reason")
def adjust_score(ident: str, data: AdjustmentIn, session: SessionDep, actor: ActorDep
                 ) -> dict[str, Any]:
    require_write(actor, "leads")
    lead = records.get(session, actor.company.id, LEADS, ident)
    row = adjustments.adjust(session, actor.company, lead, model_key=data.model,
                             points=data.points, reason=data.reason, actor=f"key {actor.key_id}")
    return {"id": row.id, "points": row.points, "reason": row.reason,
            "scores": explain(session, actor.company, lead)}
