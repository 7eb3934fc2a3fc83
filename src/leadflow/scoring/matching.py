"""Walk plain records along relation hops and test `where` expressions on them.

Records are mappings of field → value; a relation name maps to the related record (or None);
custom interaction attributes live under "attr". Comparison follows the null rule: a null
value satisfies only `is_empty`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from leadflow.scoring.model import Condition, Expr
from leadflow.scoring.schema import ATTR_PREFIX
from leadflow.scoring.values import DaysAgo, Scalar, is_number, midnight_utc, to_utc

Record = Mapping[str, Any]


def follow(record: Record | None, hops: Sequence[str]) -> Record | None:
    """The record reached from `record` through relation `hops`, or None if one is missing."""
    for hop in hops:
        if record is None:
            return None
        record = record.get(hop)
    return record


def field_value(record: Record | None, field: str) -> Any:
    """The value of a (possibly dotted, possibly `attr.x`) field, or None."""
    parts = field.split(".")
    while len(parts) > 1 and parts[0] + "." != ATTR_PREFIX:
        record = follow(record, [parts.pop(0)])
    if record is None:
        return None
    if len(parts) == 2:
        attrs = record.get("attr") or {}
        return attrs.get(parts[1])
    return record.get(parts[0])


def record_matches(record: Record | None, cond: Condition, as_of: datetime) -> bool:
    """True when every `where` expression holds on `record` (with none: when it exists)."""
    if not cond.where:
        return record is not None
    return all(expr_holds(e, field_value(record, e.field), as_of) for e in cond.where)


def _empty(actual: object) -> bool:
    return actual is None or actual == ""


def expr_holds(expr: Expr, actual: object, as_of: datetime) -> bool:
    """Whether `actual` satisfies `expr` at time `as_of` (null satisfies only is_empty)."""
    if expr.op == "is_empty":
        return _empty(actual)
    if expr.op == "is_not_empty":
        return not _empty(actual)
    if actual is None:
        return False
    literals = expr.value if isinstance(expr.value, tuple) else (expr.value,)
    pairs = [_comparable(actual, lit, as_of) for lit in literals]  # type: ignore[arg-type]
    if any(p is None for p in pairs):
        return False  # unreadable value: treated as null
    values = [p[1] for p in pairs if p is not None]
    left = pairs[0][0] if pairs[0] is not None else None
    return _OPS[expr.op](left, values)


def _between(left: Any, values: list[Any]) -> bool:
    return bool(values[0] <= left <= values[1])


_OPS: Mapping[str, Callable[[Any, list[Any]], bool]] = {
    "eq": lambda a, v: bool(a == v[0]),
    "ne": lambda a, v: bool(a != v[0]),
    "lt": lambda a, v: bool(a < v[0]),
    "le": lambda a, v: bool(a <= v[0]),
    "gt": lambda a, v: bool(a > v[0]),
    "ge": lambda a, v: bool(a >= v[0]),
    "contains": lambda a, v: v[0] in a,
    "not_contains": lambda a, v: v[0] not in a,
    "starts_with": lambda a, v: bool(a.startswith(v[0])),
    "ends_with": lambda a, v: bool(a.endswith(v[0])),
    "in": lambda a, v: a in v,
    "not_in": lambda a, v: a not in v,
    "between": _between,
}


def _comparable(actual: object, literal: Scalar, as_of: datetime) -> tuple[Any, Any] | None:
    """(actual, literal) read as the literal's type, or None when `actual` can't be read so."""
    if isinstance(literal, bool):
        flag = _as_bool(actual)
        return None if flag is None else (flag, literal)
    if isinstance(literal, str):
        return _as_text(actual), literal.lower()
    if isinstance(literal, int | float):
        number = _as_number(actual)
        return None if number is None else (number, literal)
    moment = _as_moment(actual)
    if moment is None:
        return None
    return _align_moments(moment, literal, as_of)


def _align_moments(
    moment: date, literal: date | DaysAgo, as_of: datetime
) -> tuple[date, date]:
    """Compare datetimes as UTC instants, dates as days (a date literal = 00:00 UTC)."""
    if isinstance(literal, DaysAgo):
        point = to_utc(as_of) - timedelta(days=literal.days)
        lit: date = point if isinstance(moment, datetime) else point.date()
        return moment, lit
    if isinstance(moment, datetime):
        return moment, literal if isinstance(literal, datetime) else midnight_utc(literal)
    if isinstance(literal, datetime):
        return midnight_utc(moment), literal
    return moment, literal


def _as_text(actual: object) -> str:
    if isinstance(actual, bool):
        return "true" if actual else "false"
    if isinstance(actual, date):
        return actual.isoformat()
    return str(actual).lower()


# Stored text reads as a number only when it is a JSON number (JSON white space around it
# allowed), as a date only in the form YYYY-MM-DD: rules the SQL back end can mirror exactly.
_NUMBER_TEXT = re.compile(r"[ \t\n\r]*-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?[ \t\n\r]*")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _as_number(actual: object) -> float | int | None:
    if is_number(actual):
        return actual  # type: ignore[return-value]
    if isinstance(actual, str) and _NUMBER_TEXT.fullmatch(actual):
        return float(actual)
    return None


def _as_bool(actual: object) -> bool | None:
    if isinstance(actual, bool):
        return actual
    if actual in (0, 1) and is_number(actual):
        return bool(actual)
    if isinstance(actual, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(actual.lower())
    return None


def _as_moment(actual: object) -> date | None:
    if isinstance(actual, datetime):
        return to_utc(actual)
    if isinstance(actual, date):
        return actual
    if isinstance(actual, str) and _DATE_TEXT.fullmatch(actual):
        try:
            return date.fromisoformat(actual)
        except ValueError:
            return None
    return None
