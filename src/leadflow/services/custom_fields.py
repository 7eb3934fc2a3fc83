"""Validating the custom-field values of contacts, accounts and leads."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.errors import Problems


def definitions(session: Session, company_id: int, entity: str) -> dict[str, t.CustomField]:
    """The company's custom fields of one entity, by key."""
    repo = Repository(session, company_id, t.CustomField)
    rows = session.scalars(repo.query().where(t.CustomField.entity == entity))
    return {row.key: row for row in rows}


def coerce(field: t.CustomField, value: Any) -> Any:
    """`value` as the field's type; raises ValueError with a reason a user understands."""
    return coerce_value(field.type, field.choices, value)


def coerce_value(kind: str, choices: list[Any] | None, value: Any) -> Any:
    """`value` as a `text|number|boolean|date|choice` value (None stays None)."""
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise ValueError(f"{value!r} is a list or object, not a single value")
    if kind == "text":
        return str(value)
    if kind == "number":
        return _number(value)
    if kind == "boolean":
        return _boolean(value)
    if kind == "date":
        return date.fromisoformat(str(value)).isoformat()
    if str(value) not in (choices or []):
        raise ValueError(f"must be one of: {', '.join(choices or [])} (got {value!r})")
    return str(value)


def merge(
    session: Session, company_id: int, entity: str, current: dict[str, Any],
    changes: dict[str, Any], problems: Problems, loc: str = "custom",
) -> dict[str, Any]:
    """Current custom values updated with `changes` (null removes a value)."""
    fields = definitions(session, company_id, entity)
    merged = dict(current)
    for key, value in changes.items():
        field = fields.get(key)
        if field is None:
            known = ", ".join(sorted(fields)) or "none declared"
            problems.add(f"{loc}.{key}", f"unknown custom field on {entity}; known: {known}")
            continue
        try:
            coerced = coerce(field, value)
        except (TypeError, ValueError) as error:
            problems.add(f"{loc}.{key}", f"not a valid {field.type}: {error}")
            continue
        if coerced is None:
            merged.pop(key, None)
        else:
            merged[key] = coerced
    return merged


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number = value
    else:
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "y"}:
        return True
    if text in {"false", "no", "0", "n"}:
        return False
    raise ValueError(f"{value!r} is not true or false")
