"""The hot path of parsing a CSV row: picking cells, and checking plain text fields fast.

A Pydantic validation per row costs more than everything else an import does to a row. Most
columns are plain text with a length limit, some with an `after` validator that takes the value
alone (the email and domain checks); for those, `compile_checks` derives a check from the
schema itself (its JSON schema and its field validators), so the limits cannot drift from it.
Anything else — numbers, dates, keys, choices — is left to Pydantic, as is any value a fast
check refuses, so values and error messages stay exactly the schema's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from leadflow.services.imports.columns import ColumnMap

Check = Callable[[str], Any]
TEXT_KEYS = {"type", "maxLength", "minLength", "title"}


class _Slow(Exception):
    """This value needs the full validation."""


@dataclass(frozen=True)
class Checks:
    """A schema's fast checks, by field, and the fields a row must give (else: Pydantic)."""

    fields: dict[str, Check]
    required: frozenset[str]


def compile_checks(schema: type[BaseModel]) -> Checks:
    """Fast checks for the schema's plain text fields (none if the schema has validators that
    a fast check could not reproduce)."""
    required = frozenset(n for n, f in schema.model_fields.items() if f.is_required())
    decorators = schema.__pydantic_decorators__
    # A schema may name model validators that only react to keys an imported row never holds
    # (LeadIn refuses `stage`, which is no field of it, so no column maps to it).
    ignored: frozenset[str] = getattr(schema, "FAST_CHECK_IGNORES", frozenset())
    if set(decorators.model_validators) - ignored or decorators.root_validators:
        return Checks({}, required)
    after: dict[str, list[Callable[[Any], Any]]] = {}
    unsupported: set[str] = set()
    for name, decorator in decorators.field_validators.items():
        fields = decorator.info.fields
        if "*" in fields:
            if name != "_no_nul":  # Input's NUL check is reproduced below; others are not
                return Checks({}, required)
            continue
        simple = decorator.info.mode == "after" and len(
            inspect.signature(decorator.func).parameters) == 1
        for field in fields:
            if simple:
                after.setdefault(field, []).append(decorator.func)
            else:
                unsupported.add(field)
    checks: dict[str, Check] = {}
    for name, spec in schema.model_json_schema()["properties"].items():
        options = [o for o in spec.get("anyOf", [spec]) if o.get("type") != "null"]
        if name in unsupported or len(options) != 1:
            continue
        option = options[0]
        if option.get("type") != "string" or set(option) - TEXT_KEYS:
            continue
        checks[name] = _text(option.get("minLength", 0), option.get("maxLength"),
                             tuple(after.get(name, ())))
    return Checks(checks, required)


def _text(shortest: int, longest: int | None, validators: tuple[Callable[[Any], Any], ...]
          ) -> Check:
    # Values come stripped (Picker); one with surrounding spaces goes to Pydantic, whose
    # idea of whitespace differs a little from Python's.
    limit = longest if longest is not None else float("inf")

    def check(value: str) -> Any:
        if not shortest <= len(value) <= limit or "\x00" in value or value.strip() != value:
            raise _Slow
        result: Any = value
        for validator in validators:
            result = validator(result)
        return result

    def plain(value: str) -> Any:
        if not shortest <= len(value) <= limit or "\x00" in value or value.strip() != value:
            raise _Slow
        return value

    return check if validators else plain


def fast_check(checks: Checks, given: dict[str, str]) -> dict[str, Any] | None:
    """The checked values of `given`, or None when the row needs the full validation."""
    if not checks.required <= given.keys():
        return None
    values: dict[str, Any] = {}
    fields = checks.fields
    try:
        for name, text in given.items():
            values[name] = fields[name](text)
    except (KeyError, ValueError, _Slow):
        return None
    return values


class Picker:
    """Takes each field's value from its column(s) of a row: the first non-blank one."""

    def __init__(self, columns: ColumnMap, lowercase: set[str]) -> None:
        headers = columns.headers
        self.first = {name: headers[indexes[0]]
                      for name, indexes in {**columns.fields, **columns.custom}.items()}
        self.fields = [(name, indexes[0], name in lowercase) for name, indexes in
                       columns.fields.items() if len(indexes) == 1]
        self.custom = [(name, indexes[0]) for name, indexes in columns.custom.items()
                       if len(indexes) == 1]
        self.several = [(name, indexes, name in lowercase, name in columns.custom)
                        for name, indexes in {**columns.fields, **columns.custom}.items()
                        if len(indexes) > 1]
        self.headers = headers

    def pick(self, cells: list[str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """(field values, custom field values, the header each field came from); the last
        is shared between rows unless a field took a later one of its columns: read only."""
        width = len(cells)
        values: dict[str, str] = {}
        for name, index, lower in self.fields:
            if index < width:
                cell = cells[index].strip()
                if cell:
                    values[name] = cell.lower() if lower else cell
        custom: dict[str, str] = {}
        for name, index in self.custom:
            if index < width:
                cell = cells[index].strip()
                if cell:
                    custom[name] = cell
        sources = self.first
        for name, indexes, lower, is_custom in self.several:
            for index in indexes:
                cell = cells[index].strip() if index < width else ""
                if cell:
                    (custom if is_custom else values)[name] = cell.lower() if lower else cell
                    if index != indexes[0]:
                        sources = dict(sources) if sources is self.first else sources
                        sources[name] = self.headers[index]
                    break
        return values, custom, sources
