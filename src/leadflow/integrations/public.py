"""What the public, key-less endpoints share: bounded bodies, CORS, rate limits, companies."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from leadflow.api.problems import problem_response
from leadflow.db.tables import Company
from leadflow.errors import FieldError, LeadflowError, NotFound, ValidationFailed
from leadflow.integrations.ratelimit import limiter, retry_after
from leadflow.services import companies

# Pages on the customer's own site post here from their origin; no cookies of this host are
# used, so any origin may call and `*` is enough.
CORS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept, X-Requested-With",
    "Access-Control-Max-Age": "86400",
}
JSON_TYPES = ("application/json", "text/json")
MAX_FIELDS = 1000

Pairs = list[tuple[str, Any]]


class PayloadTooLarge(LeadflowError):
    status = 413
    type = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(LeadflowError):
    status = 415
    type = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(LeadflowError):
    status = 429
    type = "too-many-requests"
    title = "Too many requests"

    def __init__(self, wait: float) -> None:
        super().__init__(f"too many requests from this address; retry in "
                         f"{retry_after(wait)} s")
        self.wait = wait


def problem(error: LeadflowError) -> JSONResponse:
    """problem+json for a public endpoint: readable cross-origin, with Retry-After on 429."""
    response = problem_response(error)
    response.headers.update(CORS)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = retry_after(error.wait)
    return response


def client_ip(request: Request) -> str:
    """The caller's address (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def check_rate(request: Request, name: str, limit: int, seconds: float, scope: str) -> None:
    """Count this request against `limit` per `seconds` per client address and `scope`."""
    wait = limiter(request.app.state, name, limit, seconds).hit((client_ip(request), scope))
    if wait is not None:
        raise TooManyRequests(wait)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body may hold at most {limit // 1024} KiB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body may hold at most {limit // 1024} KiB")
    return bytes(body)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_json_type(kind: str) -> bool:
    return kind in JSON_TYPES or kind.endswith("+json")


def json_object(body: bytes) -> dict[str, Any]:
    """The body as one JSON object, or ValidationFailed."""
    try:
        value = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed("The request is not valid", errors=[
            FieldError("body", "the body is not valid JSON")]) from error
    if not isinstance(value, dict):
        raise ValidationFailed("The request is not valid", errors=[
            FieldError("body", "the body must be a JSON object")])
    return value


async def form_pairs(request: Request, body: bytes) -> tuple[Pairs, bool]:
    """The submitted `(name, value)` pairs and whether they came as JSON."""
    kind = media_type(request)
    if is_json_type(kind) or (not kind and body.lstrip().startswith(b"{")):
        return list(json_object(body).items()), True
    if kind in ("application/x-www-form-urlencoded", ""):
        text = body.decode("utf-8", errors="replace")
        try:
            return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS), False
        except ValueError as error:
            raise ValidationFailed("The form could not be read", errors=[
                FieldError("body", f"a form may hold at most {MAX_FIELDS} fields")]) from error
    if kind == "multipart/form-data":
        return await _multipart(request, body), False
    raise UnsupportedMediaType(f"send the form as application/x-www-form-urlencoded, "
                               f"multipart/form-data or JSON (got {kind})")


async def _multipart(request: Request, body: bytes) -> Pairs:
    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(request.scope, replay).form(max_files=10, max_fields=MAX_FIELDS) as form:
            # Uploaded files are not kept: a lead form has no use for them.
            return [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
    except MultiPartException as error:
        raise ValidationFailed("The form could not be read", errors=[
            FieldError("body", error.message)]) from error


def company_named(session: Session, key: str | None) -> Company:
    """The company a public URL names by key (or id); the site company when none is named."""
    if key:
        return companies.find(session, key)
    try:
        return companies.require_site(session)
    except ValidationFailed as error:
        raise NotFound("leadflow has no site company yet") from error
