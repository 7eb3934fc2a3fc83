"""Plain-row reads of what scoring evaluates: contacts, accounts, interactions, catalogs and the
company's schema declarations — scoped by company.

Scoring reads these rows and never changes them, so they are read without ORM instances (no
identity map to fill, no attribute instrumentation): a row becomes a `{column: value}` dict.
The statements are built once, with bound parameters; building one costs more than running it
for the handful of rows one interaction touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from leadflow.db import tables as t

Record = dict[str, Any]


@cache
def _of_company(table: Any) -> Select[Any]:
    rows = table.__table__
    return select(rows).where(rows.c.company_id == bindparam("company_id"))


@cache
def _by(table: Any, column: str) -> Select[Any]:
    rows = table.__table__
    return _of_company(table).where(rows.c[column].in_(bindparam("ids", expanding=True)))


_FIELDS, _TYPES = t.CustomField.__table__, t.InteractionType.__table__
# Custom fields and interaction types in one round trip: (kind, key, entity or name, type,
# choices or attributes).
_DECLARATIONS = union_all(
    select(literal_column("'field'"), _FIELDS.c.key, _FIELDS.c.entity, _FIELDS.c.type,
           _FIELDS.c.choices).where(_FIELDS.c.company_id == bindparam("company_id")),
    select(literal_column("'type'"), _TYPES.c.key, _TYPES.c.name, null(),
           _TYPES.c.attributes).where(_TYPES.c.company_id == bindparam("company_id")),
)
_INTERACTIONS = _by(t.Interaction, "contact_id").where(
    t.Interaction.__table__.c.occurred_at <= bindparam("until"))
_INTERACTIONS_OF_TYPES = _INTERACTIONS.where(
    t.Interaction.__table__.c.type.in_(bindparam("types", expanding=True)))


def records_by_id(
    session: Session, company_id: int, table: Any, ids: Iterable[int | None]
) -> dict[int, Record]:
    """`{id: {column: value}}` of one table for the given ids, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {record["id"]: record for record in _records(
        session, _by(table, "id"), {"company_id": company_id, "ids": list(wanted)})}


def contacts_of_accounts(
    session: Session, company_id: int, account_ids: Iterable[int | None]
) -> list[Record]:
    """The contacts of these accounts."""
    wanted = list({i for i in account_ids if i is not None})
    if not wanted:
        return []
    return _records(session, _by(t.Contact, "account_id"),
                    {"company_id": company_id, "ids": wanted})


def interactions_of_contacts(
    session: Session, company_id: int, contact_ids: Iterable[int], until: datetime,
    types: Sequence[str] | None = None,
) -> list[Record]:
    """The interactions of these contacts up to `until` (of `types`, if given)."""
    wanted = list({i for i in contact_ids if i is not None})
    if not wanted:
        return []
    params = {"company_id": company_id, "ids": wanted, "until": until}
    if types is None:
        return _records(session, _INTERACTIONS, params)
    return _records(session, _INTERACTIONS_OF_TYPES, {**params, "types": list(types)})


def schema_rows(session: Session, company_id: int) -> tuple[list[Record], list[Record]]:
    """The company's custom fields `{key, entity, type, choices}` and interaction types `{key,
    name, attributes}`."""
    fields: list[Record] = []
    types: list[Record] = []
    if session.autoflush:
        session.flush()
    for kind, key, name, type, values in session.execute(_DECLARATIONS,
                                                         {"company_id": company_id}):
        if kind == "field":
            fields.append({"key": key, "entity": name, "type": type, "choices": values})
        else:
            types.append({"key": key, "name": name, "attributes": values})
    return fields, types


def _records(session: Session, stmt: Any, params: dict[str, Any]) -> list[Record]:
    if session.autoflush:  # as an ORM query would: rows added to the session are read too
        session.flush()
    result = session.execute(stmt, params)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]
