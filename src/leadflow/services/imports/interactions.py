"""Importing interactions: rows become the same input a live interaction is, and are ingested
in `occurred_at` order by the live Ingestor, so contacts, accounts and leads follow SPEC §3
exactly as they would have, had the interactions arrived one by one.

A row without an `external_id` gets one derived from its content (`csv:` and a hash of the
normalised row), so running the same file again stores nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadflow.db import imports as db
from leadflow.db import tables as t
from leadflow.errors import ValidationFailed
from leadflow.services.imports.columns import ATTRIBUTE_PREFIX, ColumnMap
from leadflow.services.imports.ordering import Keyed
from leadflow.services.imports.rows import (
    RowError,
    coerce_custom,
    pick,
    reason,
    shown,
    too_wide,
)
from leadflow.services.ingestion.ingest import Ingestor
from leadflow.services.ingestion.inputs import InteractionIn
from leadflow.services.ingestion.types import TypeCatalog

TOP_FIELDS = ("type", "occurred_at", "contact_email", "campaign", "program", "email",
              "landing_page", "event", "url", "link", "bounce_type", "duration_seconds",
              "external_id")
FORM_FIELDS = ("first_name", "last_name", "job_title", "phone", "city", "state", "country",
               "company", "domain")
REQUIRED = ("type", "occurred_at", "contact_email")
LOWERCASE = {"campaign", "program", "email", "landing_page", "event"}  # keys match any case
DERIVED_PREFIX = "csv:"


class InteractionParser:
    """Turns a CSV row into a checked interaction (an InteractionIn body), or row errors."""

    def __init__(self, columns: ColumnMap, types: TypeCatalog,
                 definitions: dict[str, t.CustomField]) -> None:
        self.columns = columns
        self.types = types
        self.definitions = definitions
        self.width = len(columns.headers)

    def parse(self, line: int, cells: list[str]) -> Keyed | list[RowError]:
        """(occurred_at in UTC, line, body) for a good row; every problem of a bad one."""
        wide = too_wide(line, cells, self.width)
        if wide is not None:
            return [wide]
        raw, sources = pick(self.columns.headers, cells, self.columns.fields, LOWERCASE)
        custom_raw, custom_sources = pick(self.columns.headers, cells, self.columns.custom, set())
        sources.update(custom_sources)
        errors = [RowError(line, sources[name], "a value is required")
                  for name in REQUIRED if name not in raw]
        body = self._body(line, raw, custom_raw, sources, errors)
        if errors:
            return errors
        try:
            checked = InteractionIn.model_validate(body)
        except ValidationError as error:
            return [RowError(line, self._column(problem["loc"], sources), reason(problem),
                             shown(_value(body, problem["loc"])))
                    for problem in error.errors()]
        if checked.occurred_at is None:  # pragma: no cover (required above)
            return [RowError(line, sources["occurred_at"], "a value is required")]
        when = checked.occurred_at
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        body["occurred_at"] = key = when.isoformat(timespec="microseconds")
        body["contact_email"] = checked.contact_email
        body.setdefault("external_id", derived_id(body))
        return key, line, body

    def _body(self, line: int, raw: dict[str, str], custom_raw: dict[str, str],
              sources: dict[str, str], errors: list[RowError]) -> dict[str, Any]:
        body: dict[str, Any] = {k: raw[k] for k in TOP_FIELDS if k in raw}
        if "type" in raw:
            try:
                body["type"] = self.types.resolve(raw["type"])
            except ValidationFailed as error:
                errors.append(RowError(line, sources["type"], error.errors[0].message,
                                       shown(raw["type"])))
        attributes = {name[len(ATTRIBUTE_PREFIX):]: value for name, value in raw.items()
                      if name.startswith(ATTRIBUTE_PREFIX)}
        if attributes:
            body["attributes"] = attributes
            if "type" in body:
                self._check_attributes(line, body["type"], attributes, sources, errors)
        form: dict[str, Any] = {k: raw[k] for k in FORM_FIELDS if k in raw}
        custom = coerce_custom(self.definitions, line, custom_raw, sources, errors)
        if custom:
            form["custom"] = custom
        if form:
            body["contact"] = form
        return body

    def _check_attributes(self, line: int, key: str, attributes: dict[str, str],
                          sources: dict[str, str], errors: list[RowError]) -> None:
        try:
            self.types.typed_attributes(key, attributes)
        except ValidationFailed as error:
            for problem in error.errors:
                name = problem.loc.removeprefix("attributes.")
                errors.append(RowError(line, sources.get(ATTRIBUTE_PREFIX + name, name),
                                       problem.message, shown(attributes.get(name))))

    def _column(self, loc: tuple[Any, ...] | list[Any], sources: dict[str, str]) -> str:
        """The CSV header of the field at `loc` of an interaction body."""
        parts = [str(p) for p in loc]
        if not parts:
            return ""
        if parts[0] == "attributes" and len(parts) > 1:
            name = ATTRIBUTE_PREFIX + parts[1]
        elif parts[0] == "contact" and len(parts) > 1:
            name = parts[2] if parts[1] == "custom" and len(parts) > 2 else parts[1]
        else:
            name = parts[0]
        return sources.get(name) or self.column(name)

    def column(self, name: str) -> str:
        """The header of the (first) column that feeds field `name`, else the name itself."""
        indexes = self.columns.fields.get(name) or self.columns.custom.get(name)
        return self.columns.headers[indexes[0]] if indexes else name

    def column_of(self, loc: str) -> str:
        """The header behind an Ingestor error location (`campaign`, `contact.custom.x`)."""
        return self._column(loc.split(".") if loc else [], {})


def derived_id(body: dict[str, Any]) -> str:
    """A stable external id for a row that has none: the same content gives the same id."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return DERIVED_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:40]


def _value(body: dict[str, Any], loc: tuple[Any, ...] | list[Any]) -> Any:
    value: Any = body
    for part in loc:
        if not isinstance(value, dict):
            return None
        value = value.get(str(part))
    return value


@dataclass
class Ingested:
    """The outcomes of one chunk of interaction rows, known once its transaction commits."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    also_created: dict[str, int] = field(default_factory=dict)
    contacts: set[int] = field(default_factory=set)
    created_leads: list[int] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def ingest_chunk(session: Session, company: t.Company, parser: InteractionParser,
                 rows: list[Keyed], update: bool) -> Ingested:
    """Ingest one chunk of checked rows, in order, as live interactions of source `import`
    (scores are left for the end of the import)."""
    known = db.existing_emails(session, company.id, {body["contact_email"] for *_, body in rows})
    ingestor = Ingestor(session, company, source="import", types=parser.types, rescore=False)
    outcomes = ingestor.batch([body for *_, body in rows])
    result = Ingested()
    new_people: set[str] = set()
    for (_, line, body), outcome in zip(rows, outcomes, strict=True):
        if outcome.contact_id is not None:
            result.contacts.add(outcome.contact_id)
        if outcome.status == "created":
            result.count("created")
            if body["contact_email"] not in known:
                new_people.add(body["contact_email"])
            if outcome.lead_created and outcome.lead_id is not None:
                result.created_leads.append(outcome.lead_id)
        elif outcome.status == "duplicate":
            result.count("unchanged" if update else "skipped")
        elif outcome.status == "ignored":  # an identical form re-submission within 5 minutes
            result.count("skipped")
        else:
            result.count("failed")
            result.errors += [RowError(line, parser.column_of(e.loc), e.message,
                                       shown(_value(body, e.loc.split("."))))
                              for e in outcome.errors]
    for kind, count in (("contacts", len(new_people)), ("leads", len(result.created_leads))):
        if count:
            result.also_created[kind] = count
    return result
