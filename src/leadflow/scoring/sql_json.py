"""Reading one key of a JSON column (custom fields, interaction attributes) as a typed SQL value.

The same `JsonValue` element renders dialect-specific SQL (PostgreSQL `json`, SQLite JSON1), so
a compiled model stays one dialect-neutral `Select`. The readings mirror the evaluator's
(`scoring/matching.py`) exactly:

- `text`: a string as is; a number as its JSON text; a boolean as `true`/`false`; null → NULL.
- `number`: a number; a string that is a JSON number (JSON white space around it allowed);
  anything else → NULL.
- `boolean`: a boolean; the numbers 0 and 1; the strings `true`/`false`/`1`/`0` (any case).
- `date`: a string `YYYY-MM-DD` naming a real calendar day, as that text; else NULL.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Boolean, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeEngine

READINGS = ("text", "number", "boolean", "date")
_KEY = re.compile(r"[a-z_][a-z0-9_]*\Z")
_TYPES: dict[str, TypeEngine[Any]] = {
    "text": String(), "number": Numeric(), "boolean": Boolean(), "date": String()}
# The JSON number grammar (RFC 8259) with JSON white space around it; evaluate uses the same.
PG_NUMBER_PATTERN = r"^[ \t\n\r]*-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?[ \t\n\r]*$"


class JsonValue(ColumnElement[Any]):
    """The value under `key` of the JSON `column`, read as `reading` (see the module doc)."""

    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
        ("reading", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], key: str, reading: str) -> None:
        if not _KEY.match(key):  # keys are validated slugs; they are inlined into the SQL
            raise ValueError(f"not a valid JSON key: {key!r}")
        if reading not in READINGS:
            raise ValueError(f"unknown reading {reading!r}")
        self.column = column
        self.key = key
        self.reading = reading
        self.type = _TYPES[reading]


@compiles(JsonValue)
def _unsupported(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    raise NotImplementedError(
        f"scoring SQL reads JSON only on PostgreSQL and SQLite, not {compiler.dialect.name}"
    )


def _calendar_day(text: str, modulo: str) -> str:
    """SQL: `text` (already shaped NNNN-NN-NN) when it names a real day, else NULL."""
    y, m, d = (f"CAST(substr({text}, {start}, {size}) AS INTEGER)"
               for start, size in ((1, 4), (6, 2), (9, 2)))
    leap = (f"(({modulo.format(y, 4)} = 0 AND {modulo.format(y, 100)} <> 0) "
            f"OR {modulo.format(y, 400)} = 0)")
    last = (f"CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} = 2 THEN "
            f"CASE WHEN {leap} THEN 29 ELSE 28 END ELSE 31 END")
    return (f"CASE WHEN {y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} >= 1 AND {d} <= {last} "
            f"THEN {text} END")


@compiles(JsonValue, "postgresql")
def _postgresql(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    text = f"({column} ->> '{element.key}')"
    typeof = "jsonb_typeof" if isinstance(element.column.type, JSONB) else "json_typeof"
    kind = f"{typeof}({column} -> '{element.key}')"
    if element.reading == "text":
        return text
    if element.reading == "number":
        return (f"(CASE {kind} WHEN 'number' THEN CAST({text} AS NUMERIC) "
                f"WHEN 'string' THEN CASE WHEN {text} ~ '{PG_NUMBER_PATTERN}' "
                f"THEN CAST({text} AS NUMERIC) END END)")
    if element.reading == "boolean":
        return (f"(CASE {kind} WHEN 'boolean' THEN {text} = 'true' "
                f"WHEN 'number' THEN CASE CAST({text} AS NUMERIC) WHEN 1 THEN true "
                f"WHEN 0 THEN false END "
                f"WHEN 'string' THEN CASE lower({text}) WHEN 'true' THEN true WHEN '1' THEN true "
                f"WHEN 'false' THEN false WHEN '0' THEN false END END)")
    shaped = (f"(CASE WHEN {kind} = 'string' AND {text} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' "
              f"THEN {text} END)")
    return f"({_calendar_day(shaped, 'mod({0}, {1})')})"


@compiles(JsonValue, "sqlite")
def _sqlite(element: JsonValue, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    path = f"'$.\"{element.key}\"'"
    value = f"json_extract({column}, {path})"
    kind = f"json_type({column}, {path})"
    if element.reading == "text":
        # `->` keeps a number's JSON text (json_extract would reformat reals).
        return (f"(CASE {kind} WHEN 'text' THEN {value} WHEN 'null' THEN NULL "
                f"ELSE ({column} -> {path}) END)")
    if element.reading == "number":
        return (f"(CASE {kind} WHEN 'integer' THEN {value} WHEN 'real' THEN {value} "
                f"WHEN 'text' THEN CASE WHEN json_valid({value}) THEN "
                f"CASE WHEN json_type({value}) IN ('integer', 'real') "
                f"THEN CAST({value} AS REAL) END END END)")
    if element.reading == "boolean":
        return (f"(CASE {kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 "
                f"WHEN 'integer' THEN CASE {value} WHEN 1 THEN 1 WHEN 0 THEN 0 END "
                f"WHEN 'real' THEN CASE {value} WHEN 1 THEN 1 WHEN 0 THEN 0 END "
                f"WHEN 'text' THEN CASE lower({value}) WHEN 'true' THEN 1 WHEN '1' THEN 1 "
                f"WHEN 'false' THEN 0 WHEN '0' THEN 0 END END)")
    shaped = (f"(CASE WHEN {kind} = 'text' AND {value} GLOB "
              f"'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN {value} END)")
    return f"({_calendar_day(shaped, '({0} % {1})')})"
