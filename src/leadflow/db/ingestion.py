"""Queries of the ingestion path, each scoped by company."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from leadflow.db.tables import Account, Interaction, InteractionType, Lead, Visitor

CLOSED_STAGES = ("won", "lost")


def interaction_by_external_id(
    session: Session, company_id: int, source: str, external_id: str
) -> Interaction | None:
    stmt = select(Interaction).where(
        Interaction.company_id == company_id,
        Interaction.source == source,
        Interaction.external_id == external_id,
    )
    return session.scalars(stmt).first()


def one_of(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN (values)`, for a batch's worth of values. PostgreSQL gets `= ANY(array)`:
    one parameter instead of one per value, which it parses and plans several times faster
    for a thousand values."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(
            bindparam(None, list(values), type_=ARRAY(column.type))))
    return cast(ColumnElement[bool], column.in_(values))


def new_interaction_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` interactions about to be stored, the ones the database would give.

    Knowing them before the insert lets a batch be stored with one executemany and no
    RETURNING (which SQLite runs row by row to keep the order). PostgreSQL draws them from the
    column's sequence; SQLite gives a new row the largest id plus one, and the ingest
    transaction holds the write lock (BEGIN IMMEDIATE), so nobody else can take them."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(Interaction.__tablename__, "id")
        return list(session.scalars(select(func.nextval(sequence))
                                    .select_from(func.generate_series(1, count))))
    last = session.scalar(select(func.max(Interaction.id))) or 0
    return list(range(last + 1, last + 1 + count))


def insert_interactions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store rows that carry their ids (new_interaction_ids): one executemany, no RETURNING.

    A column without a default that is empty in every row is left out of the statement (it is
    stored as NULL all the same): each column given costs per row, and a batch of opens and
    clicks leaves most of them empty."""
    if not rows:
        return
    table = cast(Table, Interaction.__table__)
    columns = [name for name in rows[0]
               if table.c[name].default is not None or table.c[name].server_default is not None
               or any(row[name] is not None for row in rows)]
    session.execute(insert(table), [{name: row[name] for name in columns} for row in rows])


def recent_interaction_with_fingerprint(
    session: Session, company_id: int, fingerprint: str, since: datetime
) -> Interaction | None:
    stmt = select(Interaction).where(
        Interaction.company_id == company_id,
        Interaction.fingerprint == fingerprint,
        Interaction.received_at >= since,
    )
    return session.scalars(stmt).first()


def interaction_with_fingerprint_between(
    session: Session, company_id: int, fingerprint: str, start: datetime, end: datetime
) -> Interaction | None:
    """An interaction with this fingerprint that occurred between `start` and `end`."""
    stmt = select(Interaction).where(
        Interaction.company_id == company_id,
        Interaction.fingerprint == fingerprint,
        Interaction.occurred_at >= start,
        Interaction.occurred_at <= end,
    )
    return session.scalars(stmt).first()


def interaction_types(session: Session, company_id: int) -> list[InteractionType]:
    stmt = select(InteractionType).where(InteractionType.company_id == company_id)
    return list(session.scalars(stmt))


def account_by_name(session: Session, company_id: int, name: str) -> Account | None:
    stmt = select(Account).where(
        Account.company_id == company_id, func.lower(Account.name) == name.strip().lower()
    ).order_by(Account.id)
    return session.scalars(stmt).first()


def open_lead(
    session: Session, company_id: int, *, scope: str, target_id: int,
    campaign_id: int | None, program_id: int | None,
) -> Lead | None:
    """The oldest open lead for this scope target and marketing context."""
    target = Lead.contact_id if scope == "contact" else Lead.account_id
    stmt = select(Lead).where(
        Lead.company_id == company_id,
        Lead.scope == scope,
        target == target_id,
        Lead.campaign_id.is_(None) if campaign_id is None else Lead.campaign_id == campaign_id,
        Lead.program_id.is_(None) if program_id is None else Lead.program_id == program_id,
        Lead.stage.not_in(CLOSED_STAGES),
    ).order_by(Lead.id)
    return session.scalars(stmt).first()


def visitor(session: Session, company_id: int, visitor_id: str) -> Visitor | None:
    stmt = select(Visitor).where(Visitor.company_id == company_id,
                                 Visitor.visitor_id == visitor_id)
    return session.scalars(stmt).first()


def attach_visits(
    session: Session, company_id: int, visitor_id: str, contact_id: int, account_id: int | None
) -> list[int]:
    """Give a visitor's anonymous interactions to the contact they turned out to be."""
    ids = list(session.scalars(select(Interaction.id).where(
        Interaction.company_id == company_id,
        Interaction.visitor_id == visitor_id,
        Interaction.contact_id.is_(None),
    )))
    if ids:
        session.execute(
            update(Interaction)
            .where(Interaction.company_id == company_id, Interaction.id.in_(ids))
            .values(contact_id=contact_id, account_id=account_id)
        )
    return ids
