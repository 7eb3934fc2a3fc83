"""Set-based queries for imports: a whole chunk of rows is looked up or written at once.

Every statement is scoped by company. Lookups take the chunk's keys and run one `IN (...)`
query per key; writes are one multi-row INSERT and one executemany UPDATE per set of columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
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
    if session.get_bind().dialect.name == "sqlite":
        # Most keys of a big import are new: probe for ids with a plain statement first
        # (SQLAlchemy's expansion of a 1,000-value IN list costs more than the query).
        values = _ids_where_in(session, company_id, table, column, values)
        if not values:
            return []
        column = "id"
    stmt = select(table).where(table.c.company_id == company_id, table.c[column].in_(values))
    return [dict(row) for row in session.execute(stmt).mappings()]


def _ids_where_in(
    session: Session, company_id: int, table: Table, column: str, values: Collection[Any]
) -> list[int]:
    quote = session.get_bind().dialect.identifier_preparer.quote
    marks = ", ".join("?" * len(values))
    sql = (f"SELECT id FROM {quote(table.name)} WHERE company_id = ? AND {quote(column)}"
           f" IN ({marks})")
    return list(session.connection().exec_driver_sql(sql, (company_id, *values)).scalars())


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
    if session.get_bind().dialect.name == "sqlite":
        return _insert_sqlite(session, company_id, table, rows)
    params = [{**row, "company_id": company_id} for row in rows]
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, params).scalars())


def _insert_sqlite(
    session: Session, company_id: int, table: Table, rows: list[dict[str, Any]]
) -> list[int]:
    """SQLAlchemy cannot keep RETURNING in parameter order on SQLite, so it would insert row
    by row. SQLite gives a new row the largest rowid + 1 (documented), and the transaction
    holds the only write lock, so one executemany gets the next consecutive ids."""
    last = session.execute(select(func.max(table.c.id))).scalar() or 0
    sql, params = _driver_params(session, table, company_id, rows)
    session.connection().exec_driver_sql(sql, params)
    ids = list(range(last + 1, last + 1 + len(rows)))
    check = session.execute(select(func.count(), func.max(table.c.id)).where(
        table.c.id > last)).one()
    if tuple(check) != (len(rows), ids[-1]):
        raise RuntimeError(f"{table.name}: new ids are not consecutive; cannot import")
    return ids


def _driver_params(
    session: Session, table: Table, company_id: int, rows: list[dict[str, Any]]
) -> tuple[str, list[tuple[Any, ...]]]:
    """The INSERT as SQLite's driver sees it, and its rows with every value already converted
    by the column type's own bind processor. This is SQLAlchemy's executemany minus building a
    parameter dict per row, and a value shared by many rows (the chunk's timestamps, an empty
    custom field object) is converted once. Profiling showed that overhead to be a third of
    a contacts import."""
    dialect = session.get_bind().dialect
    processors = {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in rows[0]}
    plain = [c for c, processor in processors.items() if processor is None]
    converted = [c for c, processor in processors.items() if processor is not None]
    quote = dialect.identifier_preparer.quote
    order = ["company_id", *plain, *converted]
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in order)})"
           f" VALUES ({', '.join('?' * len(order))})")
    take = itemgetter(*plain) if plain else (lambda row: ())
    single = len(plain) == 1
    shared: dict[tuple[str, Any], Any] = {}

    def convert(column: str, value: Any) -> Any:
        key = (column, "empty" if value == {} else id(value))
        if key not in shared:
            shared[key] = processors[column](value)  # type: ignore[misc]
        return shared[key]

    params = []
    for row in rows:
        values = take(row)
        params.append((company_id, *((values,) if single else values),
                       *(convert(c, row[c]) for c in converted)))
    return sql, params


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


def related_leads(
    session: Session, company_id: int, contact_ids: Collection[int],
    account_ids: Collection[int] = (),
) -> list[int]:
    """Leads whose score may depend on these contacts or accounts: the contacts' own leads and
    account-scope leads of their accounts; leads of these accounts and of their contacts."""
    leads, contacts = _table(t.Lead), _table(t.Contact)
    conditions = []
    if contact_ids:
        accounts_of_people = select(contacts.c.account_id).where(
            contacts.c.company_id == company_id, contacts.c.id.in_(contact_ids))
        conditions += [leads.c.contact_id.in_(contact_ids),
                       (leads.c.scope == "account") & leads.c.account_id.in_(accounts_of_people)]
    if account_ids:
        people = select(contacts.c.id).where(contacts.c.company_id == company_id,
                                             contacts.c.account_id.in_(account_ids))
        conditions += [leads.c.account_id.in_(account_ids), leads.c.contact_id.in_(people)]
    if not conditions:
        return []
    stmt = select(leads.c.id).where(leads.c.company_id == company_id, or_(*conditions))
    return list(session.scalars(stmt))


def note_touched(session: Session, company_id: int, run_key: str, lead_ids: Iterable[int]) -> None:
    """Remember leads an import run touched (duplicates are fine: they are read distinct)."""
    rows = [{"company_id": company_id, "run_key": run_key, "lead_id": i} for i in set(lead_ids)]
    if rows:
        session.execute(insert(_table(t.ImportTouched)), rows)


def touched_page(
    session: Session, company_id: int, run_key: str, after: int, limit: int
) -> list[int]:
    """The next `limit` distinct lead ids the run touched, above `after`."""
    table = _table(t.ImportTouched)
    stmt = (select(table.c.lead_id).distinct()
            .where(table.c.company_id == company_id, table.c.run_key == run_key,
                   table.c.lead_id > after)
            .order_by(table.c.lead_id).limit(limit))
    return list(session.scalars(stmt))


def forget_touched(session: Session, company_id: int, run_key: str) -> None:
    table = _table(t.ImportTouched)
    session.execute(delete(table).where(table.c.company_id == company_id,
                                        table.c.run_key == run_key))


def mark_source(session: Session, company_id: int, lead_ids: Collection[int], source: str) -> None:
    """Set the `source` of these leads."""
    if lead_ids:
        table = _table(t.Lead)
        session.execute(update(table).where(table.c.company_id == company_id,
                                            table.c.id.in_(lead_ids)).values(source=source))


def has_live_models(session: Session, company_id: int) -> bool:
    table = _table(t.ScoringModelRow)
    stmt = select(table.c.id).where(table.c.company_id == company_id, table.c.status == "live")
    return session.execute(stmt.limit(1)).first() is not None


def existing_emails(session: Session, company_id: int, emails: Collection[str]) -> set[str]:
    """Which of these emails already belong to a contact."""
    if not emails:
        return set()
    table = _table(t.Contact)
    stmt = select(table.c.email).where(table.c.company_id == company_id,
                                       table.c.email.in_(emails))
    return set(session.scalars(stmt))


def add_file_part(session: Session, company_id: int, job_id: int, seq: int, data: bytes) -> None:
    session.execute(insert(_table(t.ImportFilePart)),
                    [{"company_id": company_id, "job_id": job_id, "seq": seq, "data": data}])


def file_part(session: Session, company_id: int, job_id: int, seq: int) -> bytes | None:
    table = _table(t.ImportFilePart)
    stmt = select(table.c.data).where(table.c.company_id == company_id,
                                      table.c.job_id == job_id, table.c.seq == seq)
    data = session.scalar(stmt)
    return bytes(data) if data is not None else None


def delete_file(session: Session, company_id: int, job_id: int) -> None:
    table = _table(t.ImportFilePart)
    session.execute(delete(table).where(table.c.company_id == company_id,
                                        table.c.job_id == job_id))


def add_errors(session: Session, company_id: int, job_id: int,
               errors: Iterable[tuple[int, str, str, str]]) -> None:
    """Keep row errors (row, column, value, reason) of a background import."""
    rows = [{"company_id": company_id, "job_id": job_id, "row": row, "column": column,
             "value": value, "reason": reason} for row, column, value, reason in errors]
    if rows:
        session.execute(insert(_table(t.ImportProblem)), rows)


def errors_page(session: Session, company_id: int, job_id: int, after: int, limit: int
                ) -> list[t.ImportProblem]:
    """The next `limit` row errors of a job, in the order they were found (by id)."""
    stmt = (select(t.ImportProblem)
            .where(t.ImportProblem.company_id == company_id, t.ImportProblem.job_id == job_id,
                   t.ImportProblem.id > after)
            .order_by(t.ImportProblem.id).limit(limit))
    return list(session.scalars(stmt))


def count_errors(session: Session, company_id: int, job_id: int) -> int:
    table = _table(t.ImportProblem)
    stmt = select(func.count()).select_from(table).where(table.c.company_id == company_id,
                                                         table.c.job_id == job_id)
    return int(session.scalar(stmt) or 0)


def import_jobs(session: Session, company_id: int, before: int | None, limit: int
                ) -> list[t.Job]:
    """The company's import jobs, newest first."""
    stmt = select(t.Job).where(t.Job.company_id == company_id, t.Job.kind == "import")
    if before is not None:
        stmt = stmt.where(t.Job.id < before)
    return list(session.scalars(stmt.order_by(t.Job.id.desc()).limit(limit)))
