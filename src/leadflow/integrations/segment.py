"""Segment-compatible ingestion: `/v1/batch`, `/v1/identify`, `/v1/track`, `/v1/page`, … (§6.2).

Segment's SDKs (and RudderStack's) send here when their host is changed: the write key is a
leadflow API key, sent as the HTTP Basic user name or as `writeKey` in the body.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from leadflow.api.deps import SessionDep
from leadflow.api.problems import PROBLEM
from leadflow.errors import LeadflowError
from leadflow.integrations.common import api_key as key_of
from leadflow.integrations.common import bad_body, counts, ingest_actor, read_json
from leadflow.integrations.segment_calls import SegmentCalls

log = logging.getLogger("leadflow.integrations.segment")
router = APIRouter(prefix="/v1", tags=["segment"])
HOW = "as the HTTP Basic user name (the write key) or as `writeKey` in the body"
SINGLE = ("identify", "track", "page", "group", "alias", "screen")


def _body_doc(description: str) -> dict[str, Any]:
    schema = {"type": "object", "additionalProperties": True, "description": description}
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


def _problem(error: LeadflowError) -> JSONResponse:
    # Segment's SDKs log `code` and `message` from an error body; problem+json has neither.
    body = {**error.problem(), "code": error.type, "message": str(error)}
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM)


async def _apply(request: Request, session: Session, body: dict[str, Any],
                 messages: list[Any]) -> JSONResponse:
    """Authenticate, then apply the messages off the event loop (the work is synchronous)."""

    def work() -> JSONResponse:
        actor = ingest_actor(session, key_of(request, body.get("writeKey")), HOW,
                             "Segment calls")
        return _answer(SegmentCalls(session, actor.company), messages)

    try:
        return await run_in_threadpool(work)
    except LeadflowError as error:  # authentication: each message reports its own errors
        return _problem(error)


def _answer(calls: SegmentCalls, messages: list[Any]) -> JSONResponse:
    results = [calls.handle(message) for message in messages]
    calls.finish()
    items = []
    for index, (message, result) in enumerate(zip(messages, results, strict=True)):
        given = message if isinstance(message, dict) else {}
        items.append(result.as_dict(index=index, type=given.get("type"),
                                    messageId=given.get("messageId")))
    tally = counts(results)
    if tally["error"]:
        log.warning("Segment: %d of %d messages refused for company %s", tally["error"],
                    len(results), calls.company.key)
    # Like Segment, 200 with success true even when some messages were refused: the SDKs
    # would otherwise retry the whole batch forever. The body says what happened to each.
    return JSONResponse({"success": True, "received": len(results), **tally, "items": items})


@router.post("/batch", summary="Segment batch: identify, track, page, group, alias, screen",
             openapi_extra=_body_doc("`{\"batch\": [messages], \"context\"?, \"writeKey\"?}`"))
async def batch(request: Request, session: SessionDep) -> JSONResponse:
    try:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
            raise bad_body("a batch is an object with a `batch` list of messages")
    except LeadflowError as error:
        return _problem(error)
    shared = body.get("context")
    messages = [_with_context(m, shared) for m in body["batch"]]
    return await _apply(request, session, body, messages)


def _with_context(message: Any, shared: Any) -> Any:
    """A batch's top-level context is the default of each message's context."""
    if not isinstance(shared, dict) or not isinstance(message, dict):
        return message
    own = message.get("context")
    return {**message, "context": {**shared, **own} if isinstance(own, dict) else
            own if own is not None else shared}


def _single(kind: str) -> Callable[[Request, Session], Awaitable[JSONResponse]]:
    async def endpoint(request: Request, session: SessionDep) -> JSONResponse:
        try:
            body = await read_json(request)
            if not isinstance(body, dict):
                raise bad_body(f"a {kind} call is a JSON object")
        except LeadflowError as error:
            return _problem(error)
        return await _apply(request, session, body, [{**body, "type": kind}])

    return endpoint


for _kind in SINGLE:
    router.add_api_route(f"/{_kind}", _single(_kind), methods=["POST"],
                         summary=f"Segment {_kind} call", name=f"segment_{_kind}",
                         openapi_extra=_body_doc(f"A Segment {_kind} message."))
