"""The sections of a configuration file (SPEC §6.5): how each is applied and dumped.

A section is a name and two functions: `apply(state, content, where)` validates the section's
content, writes what differs through the services and records each item in the plan (problems go
to `state.problem`, never raised, so one run reports them all); `dump(session, company)` returns
the section's content in file shape (falsy when there is nothing to write). SECTIONS lists them in
the order they are applied, so a section may refer to records made by the sections before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leadflow.db.repository import Repository
from leadflow.db.tables import Company
from leadflow.domain.settings import DEFAULTS, effective_settings, validate_settings
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.schemas import Input, partial
from leadflow.services import companies, custom_fields, records
from leadflow.services import interaction_types as _interaction_types  # noqa: F401 - its checks
from leadflow.services import resources as r
from leadflow.services.config_assignment import apply_rules, dump_rules
from leadflow.services.config_plan import Action, Applying, Where, a
from leadflow.services.config_scoring import apply_models, dump_models
from leadflow.services.webhooks.config import apply_webhooks, dump_webhooks

ApplyFn = Callable[[Applying, Any, Where], None]
DumpFn = Callable[[Session, Company], Any]
Finder = Callable[[Session, int, r.Resource, dict[str, Any]], Any]


@dataclass(frozen=True)
class Section:
    """One top-level section of a configuration file."""

    name: str
    apply: ApplyFn
    dump: DumpFn


# --- settings -------------------------------------------------------------------------------


def apply_settings(state: Applying, content: Any, where: Where) -> None:
    """Change the settings whose effective value differs from the file's."""
    if content is None:
        return
    if not isinstance(content, dict):
        state.problem(where, None, "must be a mapping of setting: value")
        return
    try:
        clean = validate_settings(dict(content))
    except ValidationFailed as error:
        state.error(where, error)
        return
    # Compared with the effective value, so restating a default is not a change.
    effective = effective_settings(state.company.settings)
    changed = [name for name, value in clean.items() if effective.get(name) != value]
    if changed:
        companies.change_settings(state.company, {name: clean[name] for name in changed})
    state.record("settings", "settings", "", "update" if changed else "unchanged", changed)


def dump_settings(session: Session, company: Company) -> dict[str, Any]:
    """The settings that differ from their defaults."""
    stored = company.settings or {}
    return {name: stored[name] for name in DEFAULTS
            if name in stored and stored[name] != DEFAULTS[name]}


# --- records (custom fields, users, programs, campaigns, pages, events, emails) -------------


def find_by_column(
    session: Session, company_id: int, resource: r.Resource, identity: dict[str, Any]
) -> Any:
    """The record whose single identity column has the given value."""
    ((column, value),) = identity.items()
    return Repository(session, company_id, resource.table).find(column, value)


def find_custom_field(
    session: Session, company_id: int, resource: r.Resource, identity: dict[str, Any]
) -> Any:
    """Custom fields are keyed by (entity, key)."""
    return custom_fields.definitions(session, company_id, identity["entity"]).get(
        identity["key"]
    )


def record_section(
    name: str, resource: r.Resource, identity: tuple[str, ...] = ("key",),
    find: Finder = find_by_column,
) -> Section:
    """A section holding a list of records of `resource`, matched by the `identity` fields."""

    def apply(state: Applying, content: Any, where: Where) -> None:
        if content is None:
            return
        if not isinstance(content, list):
            state.problem(where, None, "must be a list of items")
            return
        seen: dict[tuple[Any, ...], int] = {}
        for index, raw in enumerate(content):
            item = Where(name, index, raw, line_hint=where.line_hint)
            _apply_record(state, item, resource, identity, find, raw, seen)

    def dump(session: Session, company: Company) -> list[dict[str, Any]]:
        repo = Repository(session, company.id, resource.table)
        items = shape(session, company.id, resource, list(session.scalars(repo.query())))
        return sorted(items, key=lambda item: tuple(str(item[f]) for f in identity))

    return Section(name, apply, dump)


def _apply_record(
    state: Applying, where: Where, resource: r.Resource, identity: tuple[str, ...],
    find: Finder, raw: Any, seen: dict[tuple[Any, ...], int],
) -> None:
    if not isinstance(raw, dict):
        state.problem(where, None, "must be a mapping of field: value")
        return
    where.key = ".".join(str(raw[f]) for f in identity if raw.get(f) is not None) or None
    if not _known_fields(state, where, resource, raw):
        return
    try:
        given = patch_schema(resource.schema).model_validate(raw)
    except ValidationError as error:
        state.invalid(where, error, resource.label)
        return
    ident = {f: getattr(given, f) for f in identity}
    for field_name in (f for f, value in ident.items() if value is None):
        state.problem(where, field_name, f"is required: {resource.label}s are matched by "
                      + " and ".join(identity))
    if None in ident.values():
        return
    where.key = ".".join(str(value) for value in ident.values())
    if tuple(ident.values()) in seen:
        first = seen[tuple(ident.values())]
        state.problem(where, None, f"duplicate of {where.section}[{first}] (same "
                      + " and ".join(identity) + ")")
        return
    seen[tuple(ident.values())] = where.index or 0
    row = find(state.session, state.company.id, resource, ident)
    _save(state, where, resource, row, raw, given.model_fields_set)


def _save(
    state: Applying, where: Where, resource: r.Resource, row: Any, raw: dict[str, Any],
    given: set[str],
) -> None:
    session, company_id = state.session, state.company.id
    current = shape(session, company_id, resource, [row])[0] if row is not None else {}
    try:
        # The whole record as it would be, so a required field set to null is caught here.
        after = resource.schema.model_validate({**current, **raw})
    except ValidationError as error:
        state.invalid(where, error, resource.label)
        return
    fields = [f for f in config_fields(resource) if f in given]
    if row is not None:
        before = resource.schema.model_validate(current)
        fields = [f for f in fields if not _same(getattr(after, f), getattr(before, f))]
    try:
        if row is None:
            records.create(session, company_id, resource, after)
        elif fields:
            patch = patch_schema(resource.schema).model_validate({f: raw[f] for f in fields})
            records.update(session, company_id, resource, row, patch)
    except LeadflowError as error:
        state.error(where, error)
        return
    except DBAPIError as error:
        state.problem(where, None, f"could not save: {str(error.orig).splitlines()[0]}")
        return
    action: Action = "create" if row is None else "update" if fields else "unchanged"
    state.record(where.section, resource.label, where.key or "", action, fields)


def _known_fields(state: Applying, where: Where, resource: r.Resource, raw: dict[Any, Any]) -> bool:
    allowed = config_fields(resource)
    ids = {ref.column: ref for ref in resource.references}
    ok = True
    for name in raw:
        if name in allowed:
            continue
        ok = False
        if name in ids:
            ref = ids[name]
            state.problem(where, str(name), f"ids differ between databases; name the "
                          f"{ref.label} by its {ref.key} instead: `{ref.name}: ...`")
        else:
            state.problem(where, str(name), f"unknown field; the fields of {a(resource.label)} "
                          f"are: {', '.join(allowed)}")
    return ok


def config_fields(resource: r.Resource) -> list[str]:
    """The fields a file may give for a record: the schema's, references by natural key only."""
    ids = {ref.column for ref in resource.references}
    return [name for name in resource.schema.model_fields if name not in ids]


@cache
def patch_schema(schema: type[Input]) -> type[Input]:
    """The schema with every field optional (built once per schema)."""
    return partial(schema)


def shape(
    session: Session, company_id: int, resource: r.Resource, rows: list[Any]
) -> list[dict[str, Any]]:
    """Records in file shape: only fields that are set and differ from the schema default."""
    fields = resource.schema.model_fields
    out = []
    for item in records.serialize(session, company_id, resource, rows):
        shaped: dict[str, Any] = {}
        for name in config_fields(resource):
            value, info = item.get(name), fields[name]
            if value is None or (not info.is_required()
                                 and value == info.get_default(call_default_factory=True)):
                continue
            shaped[name] = value
        out.append(shaped)
    return out


def _same(a: Any, b: Any) -> bool:
    # The database keeps datetimes in UTC and reads naive ones as UTC.
    if isinstance(a, datetime) and isinstance(b, datetime):
        return _utc(a) == _utc(b)
    return bool(a == b)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- the registry ---------------------------------------------------------------------------

SECTIONS: tuple[Section, ...] = (
    Section("settings", apply_settings, dump_settings),
    record_section("custom_fields", r.CUSTOM_FIELDS, ("entity", "key"), find_custom_field),
    record_section("interaction_types", r.INTERACTION_TYPES),
    record_section("users", r.USERS, ("email",)),
    record_section("programs", r.PROGRAMS),
    record_section("campaigns", r.CAMPAIGNS),
    record_section("landing_pages", r.LANDING_PAGES),
    record_section("events", r.EVENTS),
    record_section("emails", r.EMAILS),
    # Last: models are checked against custom fields and interaction types, and may name
    # campaigns and programs in `applies_to`.
    Section("scoring_models", apply_models, dump_models),
    # After users and models, which rules name; the order of the file is the order of the rules.
    Section("assignment_rules", apply_rules, dump_rules),
    Section("webhooks", apply_webhooks, dump_webhooks),
)
BY_NAME = {section.name: section for section in SECTIONS}

# Sections of SPEC §6.5 that later work adds; a file using them is refused, never half-applied.
NOT_YET: tuple[str, ...] = ()
