"""Typed literal values of expressions: coercion from plain data and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from leadflow.scoring.schema import FieldType


@dataclass(frozen=True)
class DaysAgo:
    """A date relative to the scoring time: as_of - `days` days."""

    days: int


Scalar = str | int | float | bool | date | datetime | DaysAgo
Value = Scalar | tuple[Scalar, ...] | None


def to_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def midnight_utc(day: date) -> datetime:
    """00:00:00 UTC of `day`."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def is_number(raw: object) -> bool:
    """True for int/float but not bool."""
    return isinstance(raw, int | float) and not isinstance(raw, bool)


def _days_ago(raw: Mapping[Any, Any]) -> DaysAgo:
    days = raw.get("days_ago")
    if set(raw) != {"days_ago"} or not isinstance(days, int) or isinstance(days, bool):
        raise ValueError("a relative date is written {days_ago: N}")
    if days < 0:
        raise ValueError("days_ago must be 0 or more")
    return DaysAgo(days)


def parse_date(raw: object) -> date:
    """A date from a date or an ISO date string."""
    if isinstance(raw, datetime):
        raise ValueError("expects a date, not a date-time")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and len(raw) == 10:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ValueError(f"expects a date like 2024-01-31, got {raw!r}")


def _moment(raw: object) -> date | datetime:
    """A datetime value: a date (meaning 00:00 UTC) or an aware UTC datetime."""
    if isinstance(raw, datetime):
        return to_utc(raw)
    if isinstance(raw, date) or (isinstance(raw, str) and len(raw) == 10):
        return parse_date(raw)
    if isinstance(raw, str):
        try:
            return to_utc(datetime.fromisoformat(raw))
        except ValueError:
            pass
    raise ValueError(f"expects a date or date-time like 2024-01-31T09:00:00Z, got {raw!r}")


def coerce_scalar(kind: FieldType, raw: object) -> Scalar:
    """The typed value of `raw` for a field of type `kind`; ValueError says why not."""
    if kind in (FieldType.TEXT, FieldType.CHOICE):
        if isinstance(raw, str):
            return raw
        if is_number(raw):
            return str(raw)
        raise ValueError(f"expects text, got {raw!r}")
    if kind is FieldType.NUMBER:
        if is_number(raw):
            return raw  # type: ignore[return-value]
        raise ValueError(f"expects a number, got {raw!r}")
    if kind is FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        raise ValueError(f"expects true or false, got {raw!r}")
    if isinstance(raw, DaysAgo):
        return raw
    if isinstance(raw, Mapping):
        return _days_ago(raw)
    return parse_date(raw) if kind is FieldType.DATE else _moment(raw)


def scalar_fits(kind: FieldType, value: object) -> bool:
    """True when an already typed `value` is a valid literal for a field of type `kind`."""
    if kind in (FieldType.TEXT, FieldType.CHOICE):
        return isinstance(value, str)
    if kind is FieldType.NUMBER:
        return is_number(value)
    if kind is FieldType.BOOLEAN:
        return isinstance(value, bool)
    if isinstance(value, DaysAgo):
        return value.days >= 0
    if kind is FieldType.DATE:
        return isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(value, datetime):
        return value.tzinfo is not None and value.utcoffset() == UTC.utcoffset(None)
    return isinstance(value, date)


def scalar_to_raw(value: Scalar) -> object:
    """Plain data (YAML/JSON) for a typed literal."""
    if isinstance(value, DaysAgo):
        return {"days_ago": value.days}
    if isinstance(value, date):
        return value.isoformat()
    return value


def value_to_raw(value: Value) -> object:
    """Plain data for a literal or a list of literals."""
    if isinstance(value, tuple):
        return [scalar_to_raw(v) for v in value]
    if value is None:
        return None
    return scalar_to_raw(value)
