"""What the Segment and SendGrid adapters share: reading bodies, API keys, per-item outcomes."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from leadflow.db import integrations as queries
from leadflow.db.tables import Company, Contact
from leadflow.domain.roles import may_ingest
from leadflow.errors import FieldError, Forbidden, LeadflowError, Unauthorized, ValidationFailed
from leadflow.services.ingestion.ingest import Ingestor, Outcome
from leadflow.services.keys import Actor, authenticate

# Segment caps a batch at 500 KB; a little more leaves room for other senders' overhead.
MAX_BODY_BYTES = 1_000_000
BOUNCE_TYPE_WIDTH = 32  # the width of interactions.bounce_type
STATUSES = ("created", "updated", "duplicate", "ignored", "error")
MARKETING_KINDS = tuple(queries.MARKETING_TABLES)


def bad_body(message: str) -> LeadflowError:
    """A 400 about the request body as a whole."""
    return LeadflowError("The request body is not valid",
                         errors=[FieldError("body", message)])


async def read_json(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The JSON body (gzip allowed), at most `limit` bytes; 400 when it is not JSON."""
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > limit:
            raise bad_body(f"the body is larger than {limit:,} bytes")
    data = bytes(raw)
    if request.headers.get("content-encoding", "").strip().lower() == "gzip":
        data = _gunzip(data, limit)
    if not data.strip():
        raise bad_body("the body is empty; send JSON")
    try:
        return json.loads(data)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise bad_body("the body is not valid JSON") from error


def _gunzip(data: bytes, limit: int) -> bytes:
    # A bounded decompression: a small gzip bomb must not fill the memory.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise bad_body("the body is not valid gzip") from error
    if len(out) > limit or inflater.unconsumed_tail:
        raise bad_body(f"the body is larger than {limit:,} bytes once unzipped")
    return out


def check_width(loc: str, value: str | None, width: int) -> None:
    """Refuse a value wider than its column, the same way on SQLite and PostgreSQL."""
    if value is not None and len(value) > width:
        raise ValidationFailed("Invalid input", errors=[
            FieldError(loc, f"at most {width} characters")])


def api_key(request: Request, body_key: Any = None) -> str | None:
    """The key from HTTP Basic (user name, else password), Bearer, `?key=` or the body."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except ValueError as error:  # binascii.Error and UnicodeDecodeError
            raise Unauthorized("the HTTP Basic credentials are not valid base64") from error
        user, _, password = decoded.partition(":")
        return user.strip() or password.strip() or None
    if scheme.lower() == "bearer":
        return value.strip() or None
    query_key = request.query_params.get("key")
    if query_key:
        return query_key
    return body_key if isinstance(body_key, str) and body_key.strip() else None


def ingest_actor(session: Session, secret: str | None, how: str, what: str) -> Actor:
    """The company the key belongs to; 401 without a valid key, 403 if it may not send data."""
    if not secret:
        raise Unauthorized(f"send an API key {how}")
    actor = authenticate(session, secret)
    if not may_ingest(actor.role):
        raise Forbidden(f"a key with role '{actor.role}' may not send {what}")
    return actor


def deferred_ingestor(session: Session, company: Company, source: str) -> Ingestor:
    """An Ingestor that rescores once, in `rescore`, rather than after every item of a post."""
    return Ingestor(session, company, source=source, rescore=False)


def rescore(ingestor: Ingestor) -> None:
    """Rescore the leads of every contact whose activity arrived in this post."""
    ingestor.rescore = True
    ingestor.rescore_touched()


def touched(ingestor: Ingestor, contact: Contact, interaction_ids: list[int]) -> None:
    """Earlier visits that now belong to `contact` count for its leads' scores."""
    if interaction_ids:
        ingestor.touched[contact.id] = (contact.account_id, max(interaction_ids))


@dataclass
class ItemResult:
    """What happened to one incoming message or event."""

    status: str  # one of STATUSES
    id: int | None = None  # the interaction stored (or already stored)
    contact_id: int | None = None
    account_id: int | None = None
    lead_id: int | None = None
    lead_created: bool = False
    attached_visits: int = 0
    reason: str | None = None
    errors: list[FieldError] = field(default_factory=list)

    @classmethod
    def of(cls, outcome: Outcome) -> ItemResult:
        """The result of one interaction given to the Ingestor."""
        reason = ("an identical form submission arrived within 5 minutes"
                  if outcome.status == "ignored" else None)
        return cls(outcome.status, outcome.interaction_id, outcome.contact_id,
                   lead_id=outcome.lead_id, lead_created=outcome.lead_created,
                   attached_visits=len(outcome.attached_visits), reason=reason,
                   errors=list(outcome.errors))

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {**extra, "status": self.status}
        for name in ("id", "contact_id", "account_id", "lead_id", "reason"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        if self.lead_created:
            body["lead_created"] = True
        if self.attached_visits:
            body["attached_visits"] = self.attached_visits
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


def run_item(session: Session, work: Callable[[], ItemResult]) -> ItemResult:
    """Run one item in a savepoint: a bad item is reported and leaves nothing behind."""
    try:
        with session.begin_nested():
            return work()
    except LeadflowError as error:
        return ItemResult("error", errors=error.errors or [FieldError("", error.detail)])
    except ValidationError as error:
        return ItemResult("error", errors=field_errors(error))
    except DataError:
        return ItemResult("error", errors=[FieldError(
            "", "a value is too long or malformed to be stored")])


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic's errors as field errors a sender can read."""
    out = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item.get("loc", ()))
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            message = "unknown field"
        out.append(FieldError(f"{prefix}{loc}" if loc else prefix.rstrip(".") or "body", message))
    return out


def counts(results: Iterable[ItemResult]) -> dict[str, int]:
    """How many items ended in each status."""
    tally = dict.fromkeys(STATUSES, 0)
    for result in results:
        tally[result.status] += 1
    return tally


def is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and value != ""


def scalars(values: Mapping[str, Any], skip: Iterable[str] = ()) -> dict[str, Any]:
    """The single values of `values` (nested objects and lists are left out), minus `skip`."""
    skipped = set(skip)
    return {str(k): v for k, v in values.items() if k not in skipped and is_scalar(v)}


class RecordLinks:
    """Resolves marketing-record names leniently, remembering each answer for the request."""

    def __init__(self, session: Session, company_id: int) -> None:
        self.session = session
        self.company_id = company_id
        self.known: dict[tuple[str, str], int | None] = {}

    def resolve(
        self, named: Mapping[str, tuple[str, Any]]
    ) -> tuple[dict[str, int], dict[str, Any]]:
        """Resolve `{kind: (sender's name, value)}`.

        Returns the `<kind>_id` values of the records found, and `{sender's name: value}` for
        the values that name no record, so they are kept as attributes instead of failing.
        """
        ids: dict[str, int] = {}
        unknown: dict[str, Any] = {}
        for kind, (name, value) in named.items():
            if not is_scalar(value):
                continue
            memo = (kind, str(value))
            if memo not in self.known:
                self.known[memo] = queries.marketing_record_id(
                    self.session, self.company_id, kind, value)
            found = self.known[memo]
            if found is None:
                unknown[name] = value
            else:
                ids[f"{kind}_id"] = found
        return ids, unknown
