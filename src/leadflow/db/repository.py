"""Company-scoped data access. Every query built here is filtered by the tenant."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from leadflow.db.tables import Base
from leadflow.errors import Conflict, FieldError, ValidationFailed

T = TypeVar("T", bound=Base)
# Integer columns are 32-bit: larger values match no row, and PostgreSQL refuses to compare
# a column with them.
INT_LIMIT = 2**31


def python_type(sql_type: Any) -> type:
    """The Python type of a column's values, looking through TypeDecorators (UTCDateTime)."""
    implementation = getattr(sql_type, "impl", sql_type)
    try:
        kind: type = implementation.python_type
    except NotImplementedError:
        kind = object
    return kind


@dataclass
class PageRequest:
    """What a list call asks for: filters (column → allowed values), search, sort, cursor."""

    filters: dict[str, list[Any]] = field(default_factory=dict)
    conditions: list[Any] = field(default_factory=list)
    search_columns: Sequence[str] = ()
    q: str | None = None
    sort: str = "id"
    descending: bool = False
    cursor: str | None = None
    limit: int = 50


class Repository(Generic[T]):
    """Rows of one table that belong to one company."""

    def __init__(self, session: Session, company_id: int, table: type[T]) -> None:
        self.session = session
        self.company_id = company_id
        self.table = table

    def column(self, name: str) -> InstrumentedAttribute[Any]:
        return getattr(self.table, name)  # type: ignore[no-any-return]

    def query(self) -> Select[T]:
        """All rows of this company; callers refine it."""
        return select(self.table).where(self.column("company_id") == self.company_id)

    def get(self, row_id: int) -> T | None:
        if abs(row_id) >= INT_LIMIT:
            return None  # no row has it, and drivers refuse to send such a number
        return self.session.scalars(self.query().where(self.column("id") == row_id)).first()

    def find(self, column: str, value: Any) -> T | None:
        return self.session.scalars(self.query().where(self.column(column) == value)).first()

    def keys_by_id(self, ids: Iterable[int], column: str) -> dict[int, Any]:
        """`{id: natural key}` for the given ids, in one query."""
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        stmt = select(self.column("id"), self.column(column)).where(
            self.column("company_id") == self.company_id, self.column("id").in_(wanted)
        )
        return {row_id: key for row_id, key in self.session.execute(stmt)}

    def count(self, **equals: Any) -> int:
        stmt = select(func.count()).select_from(self.table)
        stmt = stmt.where(self.column("company_id") == self.company_id)
        for name, value in equals.items():
            stmt = stmt.where(self.column(name) == value)
        return int(self.session.scalar(stmt) or 0)

    def add(self, row: T) -> T:
        row.company_id = self.company_id  # type: ignore[attr-defined]
        self.session.add(row)
        self.flush(f"could not save the {self.table.__tablename__} record")
        return row

    def remove(self, row: T, label: str) -> None:
        """Delete `row`; Conflict naming what still refers to it, if anything does."""
        # Checked first: after a failed flush the transaction may be unusable (SQLite).
        users = self.referrers(row)
        if users:
            names = ", ".join(f"{table} ({n})" for table, n in users.items())
            raise Conflict(f"cannot delete {label}: other records still refer to it: {names}")
        self.session.delete(row)
        self.flush(f"cannot delete {label}: other records still refer to it")

    def referrers(self, row: T) -> dict[str, int]:
        """`{table: count}` of this company's rows whose foreign keys keep `row` alive."""
        target = self.table.__table__
        found: dict[str, int] = {}
        for table in Base.metadata.sorted_tables:
            for key in table.foreign_keys:
                if key.column.table is not target or key.ondelete in ("CASCADE", "SET NULL"):
                    continue
                stmt = select(func.count()).select_from(table).where(
                    key.parent == row.id  # type: ignore[attr-defined]
                )
                if "company_id" in table.c:
                    stmt = stmt.where(table.c.company_id == self.company_id)
                count = int(self.session.scalar(stmt) or 0)
                if count:
                    name = table.name.replace("_", " ")
                    found[name] = found.get(name, 0) + count
        return found

    def flush(self, message: str) -> None:
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError as error:
            raise Conflict(message) from error

    def page(self, request: PageRequest) -> tuple[list[T], str | None]:
        """One page of rows, ordered by (sort column, id), continuing after `cursor`."""
        stmt = self.query()
        for name, values in request.filters.items():
            stmt = stmt.where(_one_of(self.column(name), values))
        for condition in request.conditions:
            stmt = stmt.where(condition)
        if request.q:
            pattern = _contains(request.q)
            stmt = stmt.where(or_(*(
                func.lower(self.column(c)).like(pattern, escape="\\")
                for c in request.search_columns
            )))
        sort_col, id_col = self.column(request.sort), self.column("id")
        if request.cursor:
            stmt = stmt.where(_after(sort_col, id_col, request, _decode(request.cursor)))
        if request.descending:
            order = [sort_col.desc().nulls_last(), id_col.desc()]
        else:
            order = [sort_col.asc().nulls_last(), id_col.asc()]
        rows = list(self.session.scalars(stmt.order_by(*order).limit(request.limit + 1)))
        if len(rows) <= request.limit:
            return rows, None
        rows = rows[: request.limit]
        last = rows[-1]
        return rows, _encode(getattr(last, request.sort), last.id)  # type: ignore[attr-defined]


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere; `%`, `_` and `\\` in it match only themselves."""
    for special in ("\\", "%", "_"):
        text = text.replace(special, "\\" + special)
    return f"%{text.lower()}%"


def _one_of(column: Any, values: list[Any]) -> Any:
    """`column` equal to one of `values`; a None among them matches NULL."""
    present = [v for v in values if v is not None]
    condition = column.in_(present)
    return or_(column.is_(None), condition) if len(present) < len(values) else condition


def _after(sort_col: Any, id_col: Any, request: PageRequest, position: tuple[Any, int]) -> Any:
    """Rows strictly after `position` in (sort, id) order, NULL sort values last."""
    value, last_id = position
    beyond_id = id_col < last_id if request.descending else id_col > last_id
    if value is None:
        return and_(sort_col.is_(None), beyond_id)
    try:
        value = literal(_coerce(sort_col, value), sort_col.type)
    except (TypeError, ValueError) as error:
        raise _bad_cursor("is not valid for this sort order; use next_cursor from a list"
                          " answer with the same sort") from error
    beyond = sort_col < value if request.descending else sort_col > value
    return or_(beyond, and_(sort_col == value, beyond_id), sort_col.is_(None))


def _coerce(column: Any, value: Any) -> Any:
    """A cursor's sort value as the column's type; TypeError if it cannot be one."""
    kind = python_type(column.type)
    if kind in (datetime, date) and isinstance(value, str):
        return kind.fromisoformat(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind is int and (isinstance(value, bool) or abs(value) >= INT_LIMIT):
        raise TypeError("not a whole number")
    if kind in (bool, int, str) and isinstance(value, kind):
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")


def _encode(value: Any, row_id: int) -> str:
    if isinstance(value, date | datetime):
        value = value.isoformat()
    raw = json.dumps([value, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = json.loads(raw)
        if not isinstance(row_id, int) or isinstance(row_id, bool) or abs(row_id) >= INT_LIMIT:
            raise ValueError
        return value, row_id
    except (TypeError, ValueError) as error:
        raise _bad_cursor("is not valid; use next_cursor from a list answer") from error


def _bad_cursor(message: str) -> ValidationFailed:
    return ValidationFailed(f"cursor {message}", errors=[FieldError("cursor", message)])
