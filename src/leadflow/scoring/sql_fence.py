"""A subquery the database must run as written, not merge into the query that reads it.

Both databases merge a plain subquery into its reader and then repeat each of its output
expressions wherever the reader uses that column. `fenced` adds `LIMIT ALL OFFSET 0`, which
changes no row but keeps the subquery whole (PostgreSQL does not pull up a subquery with a
LIMIT or OFFSET; SQLite does not flatten one with an OFFSET), so each expression is computed
once per row. The "no limit" is spelled per database and written into the statement, not
bound: a CREATE TABLE … AS statement carries no parameters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement


class _NoLimit(ColumnElement[int]):
    inherit_cache = True
    type = Integer()


@compiles(_NoLimit)
def _no_limit(element: _NoLimit, compiler: SQLCompiler, **kw: Any) -> str:
    return "ALL"


@compiles(_NoLimit, "sqlite")
def _no_limit_sqlite(element: _NoLimit, compiler: SQLCompiler, **kw: Any) -> str:
    return "-1"


def fenced(query: Select[Any]) -> Select[Any]:
    """`query`, kept from being merged into the query that reads it."""
    return query.limit(_NoLimit()).offset(literal_column("0"))
