"""Interaction types a company declares (SPEC §1, §2.3): the checks run before one is saved or
deleted. Importing this module registers them with services/records.py.

A declaration is checked by the scoring core's own `Schema.build`, so what can be saved is exactly
what scoring can read, and no change may leave a scoring model (a draft or a published version)
naming a type or an attribute that no longer fits: such a model would fail when it scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import ingestion as ingestion_queries
from leadflow.db import scoring as scoring_queries
from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.errors import Conflict, FieldError, Problems
from leadflow.scoring.errors import ModelInvalid, SchemaInvalid
from leadflow.scoring.model import model_from_dict
from leadflow.scoring.schema import BUILTIN_INTERACTION_TYPES, Schema
from leadflow.services.records import before_delete, hook

BUILTIN_NAMES = {key: name for name, key in BUILTIN_INTERACTION_TYPES.items()}
Declaration = dict[str, Any]


@hook("interaction-types")
def check_interaction_type(
    session: Session, company_id: int, values: dict[str, Any], row: Any, problems: Problems
) -> None:
    """Key fixed once made; a name for custom keys only; the company schema still builds;
    every scoring model still validates."""
    if row is not None and "key" in values and values["key"] != row.key:
        problems.add("key", "cannot be changed; delete the type and declare a new one")
        return
    declared = _declaration({**_current(row), **values})
    for error in declaration_errors(declared):
        problems.add(error.loc, error.message)
    if problems.errors:
        return
    others = [_declaration(_current(other)) for other in _rows(session, company_id)
              if row is None or other.id != row.id]
    try:
        schema = Schema.build(custom_field_declarations(session, company_id),
                              [*others, declared])
    except SchemaInvalid as error:
        problems.add("name", str(error))
        return
    renamed = row is not None and declared.get("name") != row.name
    for message in broken_models(session, company_id, schema):
        problems.add("name" if renamed else "attributes", message)


@before_delete("interaction-types")
def check_delete(session: Session, company_id: int, row: Any) -> None:
    """A type that a scoring model uses may not be deleted."""
    others = [_declaration(_current(other)) for other in _rows(session, company_id)
              if other.id != row.id]
    schema = Schema.build(custom_field_declarations(session, company_id), others)
    broken = broken_models(session, company_id, schema)
    if broken:
        raise Conflict(f"cannot delete interaction type '{row.key}': " + "; ".join(broken))


def declaration_errors(declared: Declaration) -> list[FieldError]:
    """What is wrong with one declaration on its own, by field, as the scoring core sees it."""
    key, name = declared["key"], declared.get("name")
    if key in BUILTIN_NAMES:
        if name is not None:
            return [FieldError("name", f"'{key}' is the built-in type {BUILTIN_NAMES[key]}: "
                               "leave `name` out to declare typed attributes for it")]
    elif name is None:
        return [FieldError("name", f"is required: '{key}' is not a built-in type, so it needs"
                           " a CamelCase entity name for scoring conditions (e.g."
                           " WebinarWatched)")]
    errors = []
    try:
        Schema.build(interaction_types=[{"key": key, "name": name} if name else {"key": key}])
    except SchemaInvalid as error:
        errors.append(FieldError("name", str(error)))
    for index, attribute in enumerate(declared.get("attributes") or []):
        try:
            Schema.build(interaction_types=[{**declared, "attributes": [attribute]}])
        except SchemaInvalid as error:
            errors.append(FieldError(f"attributes.{index}", str(error)))
    return errors


def broken_models(session: Session, company_id: int, schema: Schema) -> list[str]:
    """Every scoring model whose draft or published version `schema` would make invalid."""
    found = []
    for row in scoring_queries.models(session, company_id):
        for label, definition in _definitions(session, row):
            try:
                model_from_dict(definition, schema)
            except ModelInvalid as error:
                first = error.errors[0]
                found.append(f"scoring model '{row.key}' ({label}) would no longer be valid:"
                             f" {first.path}: {first.message}")
    return found


def custom_field_declarations(session: Session, company_id: int) -> list[Declaration]:
    """The company's custom fields as the scoring core's schema reads them."""
    fields = session.scalars(Repository(session, company_id, t.CustomField).query())
    return [{"key": f.key, "entity": f.entity, "type": f.type, "choices": f.choices or []}
            for f in fields]


def _definitions(session: Session, row: t.ScoringModelRow) -> Iterable[tuple[str, Any]]:
    """What scores, or would be published: a live model's version and draft; another model's
    draft, or without one its last version (publishing it again would use that)."""
    if row.draft is not None:
        yield "draft", row.draft
    if row.live_version_id is not None and (row.status == "live" or row.draft is None):
        version = scoring_queries.version(session, row.company_id, row.live_version_id)
        if version is not None:
            yield f"version {version.version}", version.definition


def _rows(session: Session, company_id: int) -> list[t.InteractionType]:
    return ingestion_queries.interaction_types(session, company_id)


def _current(row: Any) -> dict[str, Any]:
    if row is None:
        return {}
    return {"key": row.key, "name": row.name, "attributes": row.attributes}


def _declaration(values: dict[str, Any]) -> Declaration:
    """The shape Schema.build reads; no name for the attributes-only form."""
    declared: Declaration = {"key": values["key"], "attributes": list(values.get("attributes")
                                                                      or [])}
    if values.get("name") is not None:
        declared["name"] = values["name"]
    return declared
