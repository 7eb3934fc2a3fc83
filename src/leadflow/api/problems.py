"""Turning every error into `application/problem+json` (RFC 9457)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from leadflow.errors import FieldError, LeadflowError, ValidationFailed

PROBLEM = "application/problem+json"


def problem_response(error: LeadflowError) -> JSONResponse:
    return JSONResponse(error.problem(), status_code=error.status, media_type=PROBLEM)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for item in exc.errors():
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            message = "unknown field"
        elif item.get("type") != "missing" and "input" in item and item["input"] is None:
            message = "may not be null"
        loc = _location(tuple(item.get("loc", ())))
        if item.get("type") == "json_invalid":
            message, loc = "the body is not valid JSON", "body"
        errors.append(FieldError(loc, message))
    return problem_response(ValidationFailed("The request is not valid", errors=errors))


def _leadflow(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LeadflowError)
    return problem_response(exc)


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    body = {"type": "about:blank", "title": str(exc.detail), "status": exc.status_code,
            "detail": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM,
                        headers=getattr(exc, "headers", None))


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on `app`."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(LeadflowError, _leadflow)
    app.add_exception_handler(HTTPException, _http)
