"""`where` expressions as SQL booleans, with the evaluator's exact semantics (docs §6.2).

The null rule comes from SQL itself: a NULL value makes every comparison NULL, which every
caller treats as false; only `is_empty` is true on NULL. Care is taken never to negate an
expression that may be NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Numeric, and_, cast, func, literal, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from leadflow.scoring.model import Condition, Expr
from leadflow.scoring.schema import FieldType
from leadflow.scoring.sql_json import JsonValue
from leadflow.scoring.sql_paths import FieldRef, Joiner, Path
from leadflow.scoring.values import DaysAgo, Scalar, midnight_utc, to_utc

Sql = ColumnElement[Any]


def condition_matches(
    joiner: Joiner, path: Path, cond: Condition, as_of: datetime, entity: str | None = None
) -> ColumnElement[bool]:
    """SQL for `record_matches`: every `where` holds on the record reached by `path`
    (without `where`: the record exists). `entity`: see `Joiner.field`."""
    if not cond.where:
        alias, _spec = joiner.reach(path)
        return alias.c.id.is_not(None)
    refs = [joiner.field(path, e.field, entity) for e in cond.where]
    return and_(*(expr_sql(ref, e, as_of) for ref, e in zip(refs, cond.where, strict=True)))


def expr_sql(ref: FieldRef, expr: Expr, as_of: datetime) -> ColumnElement[bool]:
    """SQL that is true exactly when `expr` holds on the field `ref` (NULL counts as false)."""
    if expr.op in ("is_empty", "is_not_empty"):
        empty = _empty(ref)  # never NULL, so it may be negated
        return empty if expr.op == "is_empty" else not_(empty)
    literals: Sequence[Scalar] = expr.value if isinstance(expr.value, tuple) else (expr.value,)  # type: ignore[assignment]
    if ref.type in (FieldType.TEXT, FieldType.CHOICE):
        left: Sql = func.lower(_read(ref, "text"))
        texts = [str(v).lower() for v in literals]
        if expr.op in _LIKE:
            return _text_match(expr.op, left, texts[0])
        return _compare(expr.op, left, [literal(t) for t in texts])
    if ref.type is FieldType.NUMBER:
        return _compare(expr.op, _read(ref, "number"), [_number(ref, v) for v in literals])
    if ref.type is FieldType.BOOLEAN:
        return _compare(expr.op, _read(ref, "boolean"), [literal(bool(v)) for v in literals])
    moments, moment = _moments(ref, literals, to_utc(as_of))
    return _compare(expr.op, moments, [moment(v) for v in literals])


def _read(ref: FieldRef, reading: str) -> Sql:
    if ref.json_key is None:
        return ref.column
    return JsonValue(ref.column, ref.json_key, reading)


def _empty(ref: FieldRef) -> ColumnElement[bool]:
    """`is_empty`: NULL, or the empty string (only text can be empty)."""
    if ref.json_key is not None or ref.type in (FieldType.TEXT, FieldType.CHOICE):
        value = _read(ref, "text")
        return or_(value.is_(None), value == "")
    return ref.column.is_(None)


def _number(ref: FieldRef, value: Scalar) -> Sql:
    if ref.json_key is None:
        return literal(value)
    # JSON numbers are NUMERIC on PostgreSQL; comparing with a float would cast them to
    # double precision and fail on huge values, so the literal is NUMERIC too.
    return cast(literal(repr(value)), Numeric())


def _moments(
    ref: FieldRef, literals: Sequence[Scalar], as_of: datetime
) -> tuple[Sql, Callable[[Scalar], Sql]]:
    """The left side and a literal converter for date/datetime comparisons."""
    if ref.json_key is not None:
        text = JsonValue(ref.column, ref.json_key, "date")
        if any(isinstance(v, datetime) for v in literals):
            # A stored date against a date-time means 00:00 UTC of that day: compare as
            # fixed-width UTC text, which orders like the instants.
            return text.concat("T00:00:00.000000"), lambda v: literal(
                _instant_text(_json_instant(v, as_of)))
        return text, lambda v: literal(_day(v, as_of).isoformat())
    column = ref.column
    if ref.type is FieldType.DATE:
        return column, lambda v: literal(_day(v, as_of), column.type)
    return column, lambda v: literal(_instant(v, as_of), column.type)


def _day(value: Scalar, as_of: datetime) -> date:
    """A date literal, or `N DAYS AGO` as the (UTC) date of as_of − N days."""
    if isinstance(value, DaysAgo):
        return (as_of - timedelta(days=value.days)).date()
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"expected a date literal, got {value!r}")
    return value


def _instant(value: Scalar, as_of: datetime) -> datetime:
    """A datetime literal: a date is 00:00 UTC of it; `N DAYS AGO` is as_of − N days."""
    if isinstance(value, DaysAgo):
        return as_of - timedelta(days=value.days)
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, date):
        return midnight_utc(value)
    raise ValueError(f"expected a date or date-time literal, got {value!r}")


def _json_instant(value: Scalar, as_of: datetime) -> datetime:
    """A literal against a stored (JSON) date, which the evaluator reads as a date:
    `N DAYS AGO` then means the date of as_of − N days."""
    if isinstance(value, DaysAgo):
        return midnight_utc(_day(value, as_of))
    return _instant(value, as_of)


def _instant_text(moment: datetime) -> str:
    m = to_utc(moment)
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:"
            f"{m.second:02d}.{m.microsecond:06d}")


def _compare(op: str, left: Sql, values: list[Sql]) -> ColumnElement[bool]:
    first = values[0]
    if op == "eq":
        return left == first
    if op == "ne":
        return left != first
    if op == "lt":
        return left < first
    if op == "le":
        return left <= first
    if op == "gt":
        return left > first
    if op == "ge":
        return left >= first
    if op == "between":
        return and_(left >= first, left <= values[1])
    # IN rather than ORs of equalities: the left side (often lower(…)) is computed once.
    if op == "in":
        return left.in_(values)
    if op == "not_in":
        return left.not_in(values)
    raise ValueError(f"unknown operator {op}")


_LIKE = ("contains", "not_contains", "starts_with", "ends_with")


def _text_match(op: str, left: Sql, value: str) -> ColumnElement[bool]:
    """Substring tests on lower-cased text (LIKE with `%`, `_` and `/` escaped)."""
    if op == "contains":
        return left.contains(value, autoescape=True)
    if op == "not_contains":
        return not_(left.contains(value, autoescape=True))
    if op == "starts_with":
        return left.startswith(value, autoescape=True)
    if op == "ends_with":
        return left.endswith(value, autoescape=True)
    raise ValueError(f"unknown operator {op}")

