"""Moment arithmetic the two databases spell differently: a moment plus whole days, and the
earliest of several moments ignoring NULLs. Exact to the microsecond on both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

# Later than any stored moment; SQLite keeps moments as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
_SQLITE_NEVER = "'9999-12-31 23:59:59.999999'"


class plus_days(FunctionElement[Any]):
    """`moment + N days` (N a Python int, part of the statement's cache key)."""

    inherit_cache = True
    _traverse_internals = [*FunctionElement._traverse_internals,
                           ("days", InternalTraversal.dp_plain_obj)]

    def __init__(self, moment: ColumnElement[Any], days: int) -> None:
        self.days = int(days)
        self.type = moment.type
        super().__init__(moment)


@compiles(plus_days)
def _plus_days(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"({moment} + make_interval(days => {element.days}))"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    # Days are added to the whole seconds only (SQLite's date functions round a fraction such
    # as .999999 up to the next second); adding whole days never changes the fraction, so the
    # stored one (characters 20 onward, if any) is put back.
    moment = compiler.process(element.clauses, **kw)
    return (f"(strftime('%Y-%m-%d %H:%M:%S', substr({moment}, 1, 19), '+{element.days} days')"
            f" || substr({moment}, 20))")


class earliest(FunctionElement[Any]):
    """The earliest of the moments given; NULL when all are NULL."""

    inherit_cache = True

    def __init__(self, *moments: ColumnElement[Any]) -> None:
        self.type = moments[0].type if moments else DateTime()
        super().__init__(*moments)


@compiles(earliest)
def _earliest(element: earliest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(earliest, "sqlite")
def _earliest_sqlite(element: earliest, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's min() of several values is NULL as soon as one is: stand NULLs in for "never".
    parts = [f"coalesce({compiler.process(c, **kw)}, {_SQLITE_NEVER})"
             for c in element.clauses]
    joined = parts[0] if len(parts) == 1 else f"min({', '.join(parts)})"
    return f"nullif({joined}, {_SQLITE_NEVER})"
