"""Relation hops as LEFT JOINs, and fields as SQL columns or JSON readings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import FromClause
from sqlalchemy.sql.elements import ColumnElement

from leadflow.scoring.schema import ATTR_PREFIX, BUILTIN_SCHEMA, EntitySpec, FieldType, Schema
from leadflow.scoring.sql_sources import SqlSources
from leadflow.scoring.validation import split_field

Path = tuple[str, ...]


@dataclass(frozen=True)
class FieldRef:
    """A field of a reached record: a built-in column, or a key of a JSON column."""

    type: FieldType
    column: ColumnElement[Any]
    json_key: str | None = None  # set when `column` is JSON and the field is under this key


class Joiner:
    """Builds one FROM clause: a root table and the aliases reached from it by relation hops.

    Every distinct path is joined once (LEFT OUTER JOIN on the related `id`), so a missing
    related record gives NULL columns, which the null rule turns into "false" (is_empty true).
    Paths start with a root label, so several roots (the lead, the lead's account) share one
    FROM clause.
    """

    def __init__(
        self,
        sources: SqlSources,
        schema: Schema,
        root: FromClause,
        entity: str,
        label: str = "root",
        from_clause: FromClause | None = None,
    ) -> None:
        self.sources = sources
        self.schema = schema
        self.from_clause: FromClause = root if from_clause is None else from_clause
        self._reached: dict[Path, tuple[FromClause, EntitySpec]] = {}
        self._add(label, root, entity)

    def _add(self, label: str, alias: FromClause, entity: str) -> None:
        spec = self.schema.entity(entity)
        if spec is None:
            raise ValueError(f"unknown entity {entity}")
        self._reached[(label,)] = (alias, spec)

    def add_root(
        self, label: str, entity: str, on: Callable[[FromClause], ColumnElement[bool]]
    ) -> FromClause:
        """LEFT JOIN another root record: a fresh alias of `entity`'s table, `on(alias)`."""
        alias = self.sources.table_of(entity).alias()
        self.from_clause = self.from_clause.outerjoin(alias, on(alias))
        self._add(label, alias, entity)
        return alias

    def reach(self, path: Sequence[str]) -> tuple[FromClause, EntitySpec]:
        """The alias and entity reached by `path` (a root label, then relation hops)."""
        key = tuple(path)
        if key not in self._reached:
            parent, spec = self.reach(key[:-1])
            hop = key[-1]
            target_name = spec.relations[hop]
            alias = self.sources.table_of(target_name).alias()
            self.from_clause = self.from_clause.outerjoin(
                alias, alias.c.id == parent.c[f"{hop}_id"]
            )
            target = self.schema.entity(target_name)
            assert target is not None
            self._reached[key] = (alias, target)
        return self._reached[key]

    def field(self, path: Sequence[str], field: str, entity: str | None = None) -> FieldRef:
        """The field `field` (possibly dotted: more hops) of the record reached by `path`.

        `entity` names the reached record's entity when the path alone does not tell it
        (interaction types share one table but declare their own attributes).
        """
        alias, spec = self.reach(path)
        if entity is not None:
            named = self.schema.entity(entity)
            assert named is not None
            spec = named
        hops, name = split_field(spec, field)
        if hops:
            alias, spec = self.reach((*path, *hops))
        field_spec = spec.field(name)
        if field_spec is None:
            raise ValueError(f"unknown field {name} on {spec.name}")
        if spec.is_interaction and name.startswith(ATTR_PREFIX):
            return FieldRef(field_spec.type, alias.c.attributes, name[len(ATTR_PREFIX):])
        if name in _builtin_fields(spec):
            return FieldRef(field_spec.type, alias.c[name])
        return FieldRef(field_spec.type, alias.c.custom, name)


def _builtin_fields(spec: EntitySpec) -> frozenset[str]:
    """Field names that are columns (the rest of a record's fields are custom, in JSON)."""
    builtin = BUILTIN_SCHEMA.entity("EmailClicked" if spec.is_interaction else spec.name)
    return frozenset(builtin.fields) if builtin is not None else frozenset()
