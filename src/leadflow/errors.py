"""One exception tree: every error knows its HTTP status and problem+json type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    """One problem with one input field."""

    loc: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.loc, "message": self.message}


class LeadflowError(Exception):
    """Base of every error a user can cause; rendered as problem+json or a CLI line."""

    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        body: dict[str, Any] = {
            "type": f"https://leadflow.dev/problems/{self.type}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body

    def __str__(self) -> str:
        if not self.errors:
            return self.detail
        parts = "; ".join(f"{e.loc}: {e.message}" if e.loc else e.message for e in self.errors)
        return f"{self.detail}: {parts}"


class ValidationFailed(LeadflowError):
    status = 422
    type = "validation-error"
    title = "Invalid input"


class NotFound(LeadflowError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(LeadflowError):
    status = 409
    type = "conflict"
    title = "Conflict"


class Unauthorized(LeadflowError):
    status = 401
    type = "unauthorized"
    title = "Not signed in"


class Forbidden(LeadflowError):
    status = 403
    type = "forbidden"
    title = "Not allowed"


@dataclass
class Problems:
    """Collects field errors, then raises them together."""

    detail: str = "The input is not valid"
    errors: list[FieldError] = field(default_factory=list)

    def add(self, loc: str, message: str) -> None:
        self.errors.append(FieldError(loc, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.detail, errors=self.errors)
