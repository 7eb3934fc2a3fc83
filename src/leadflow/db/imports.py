"""Set-based queries for imports: a whole chunk of rows is looked up or written at once.

Every statement is scoped by company. Lookups take the chunk's keys and run one `IN (...)`
query per key; writes are one multi-row INSERT and one executemany UPDATE per set of columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from leadflow.db import tables as t

OPEN_STAGES_EXCLUDED = ("won", "lost")


def _table(model: type[t.Base]) -> Table:
    return model.__table__  # type: ignore[return-value]


def rows_where_in(
    session: Session, company_id: int, model: type[t.Base], column: str,
    values: Collection[Any],
) -> list[dict[str, Any]]:
    """Every row of `model` in the company whose `column` is one of `values`."""
    if not values:
        return []
    table = _table(model)
    stmt = select(table).where(table.c.company_id == company_id, table.c[column].in_(values))
    return [dict(row) for row in session.execute(stmt).mappings()]


def accounts_by_lower_name(
    session: Session, company_id: int, names: Collection[str]
) -> list[dict[str, Any]]:
    """Accounts whose lower-cased name is one of `names` (already lower-cased), oldest first."""
    if not names:
        return []
    table = _table(t.Account)
    stmt = (
        select(table)
        .where(table.c.company_id == company_id, func.lower(table.c.name).in_(names))
        .order_by(table.c.id)
    )
    return [dict(row) for row in session.execute(stmt).mappings()]


def open_leads(
    session: Session, company_id: int, contact_ids: Collection[int],
    account_ids: Collection[int],
) -> list[dict[str, Any]]:
    """Open leads (stage not won/lost) of these contacts, and account-scope ones of these
    accounts, oldest first."""
    table = _table(t.Lead)
    found: list[dict[str, Any]] = []
    is_open = table.c.stage.not_in(OPEN_STAGES_EXCLUDED)
    if contact_ids:
        stmt = select(table).where(
            table.c.company_id == company_id, table.c.contact_id.in_(contact_ids), is_open
        )
        found += [dict(r) for r in session.execute(stmt).mappings()]
    if account_ids:
        stmt = select(table).where(
            table.c.company_id == company_id, table.c.scope == "account",
            table.c.account_id.in_(account_ids), is_open,
        )
        found += [dict(r) for r in session.execute(stmt).mappings()]
    return sorted({row["id"]: row for row in found}.values(), key=lambda row: row["id"])


def insert_rows(
    session: Session, company_id: int, model: type[t.Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` (all with the same keys) in one statement; their new ids, in order."""
    if not rows:
        return []
    table = _table(model)
    params = [{**row, "company_id": company_id} for row in rows]
    if session.get_bind().dialect.name == "sqlite":
        return _insert_sqlite(session, table, params)
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, params).scalars())


def _insert_sqlite(session: Session, table: Table, params: list[dict[str, Any]]) -> list[int]:
    """SQLAlchemy cannot keep RETURNING in parameter order on SQLite, so it would insert row
    by row. SQLite gives a new row the largest rowid + 1 (documented), and the transaction
    holds the only write lock, so one executemany gets the next consecutive ids."""
    last = session.execute(select(func.max(table.c.id))).scalar() or 0
    session.execute(insert(table), params)
    ids = list(range(last + 1, last + 1 + len(params)))
    check = session.execute(select(func.count(), func.max(table.c.id)).where(
        table.c.id > last)).one()
    if tuple(check) != (len(params), ids[-1]):
        raise RuntimeError(f"{table.name}: new ids are not consecutive; cannot import")
    return ids


def update_rows(
    session: Session, company_id: int, model: type[t.Base], rows: Iterable[dict[str, Any]]
) -> None:
    """Update rows by id: one executemany UPDATE per distinct set of changed columns."""
    table = _table(model)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        columns = tuple(sorted(k for k in row if k != "id"))
        groups[columns].append({f"v_{k}": v for k, v in row.items()})
    for columns, params in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("v_id"), table.c.company_id == company_id)
            .values({c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns})
        )
        session.execute(stmt, params)
