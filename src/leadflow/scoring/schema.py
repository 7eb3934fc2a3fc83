"""The one registry of scoring entities, their typed fields and their relations (hops)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from leadflow.scoring.errors import SchemaInvalid


class FieldType(StrEnum):
    """The type of a field; it decides which operators and values fit."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"


FIXED_ROOTS = ("Lead", "Contact", "Account")
ATTR_PREFIX = "attr."
MAX_HOPS = 5

_ANY_TYPE = frozenset(FieldType)
_TEXTUAL = frozenset({FieldType.TEXT, FieldType.CHOICE})
_ORDERED = frozenset({FieldType.NUMBER, FieldType.DATE, FieldType.DATETIME})
_LISTABLE = _ANY_TYPE - {FieldType.BOOLEAN}

OPERATOR_TYPES: Mapping[str, frozenset[FieldType]] = {
    "eq": _ANY_TYPE,
    "ne": _ANY_TYPE,
    "lt": _ORDERED,
    "le": _ORDERED,
    "gt": _ORDERED,
    "ge": _ORDERED,
    "between": _ORDERED,
    "contains": _TEXTUAL,
    "not_contains": _TEXTUAL,
    "starts_with": _TEXTUAL,
    "ends_with": _TEXTUAL,
    "in": _LISTABLE,
    "not_in": _LISTABLE,
    "is_empty": _ANY_TYPE,
    "is_not_empty": _ANY_TYPE,
}
OPERATORS = tuple(OPERATOR_TYPES)

_FIELD_KEY = re.compile(r"[a-z_][a-z0-9_]*\Z")
_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9]*[a-z][A-Za-z0-9]*\Z")


@dataclass(frozen=True)
class FieldSpec:
    """A typed field of an entity (choices only for `choice` fields)."""

    name: str
    type: FieldType
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntitySpec:
    """An entity: its fields, its relations (hop name → entity name) and, for interactions,
    its type key and declared custom attributes."""

    name: str
    fields: Mapping[str, FieldSpec]
    relations: Mapping[str, str]
    type_key: str | None = None
    attributes: Mapping[str, FieldSpec] = field(default_factory=dict)

    @property
    def is_interaction(self) -> bool:
        """True for behaviour entities (interaction types)."""
        return self.type_key is not None

    def field(self, name: str) -> FieldSpec | None:
        """The field called `name` (custom attributes as `attr.<name>`, text if undeclared)."""
        if self.is_interaction and name.startswith(ATTR_PREFIX):
            attr = name[len(ATTR_PREFIX) :]
            if not _FIELD_KEY.match(attr):
                return None
            return self.attributes.get(attr, FieldSpec(name, FieldType.TEXT))
        return self.fields.get(name)

    def field_names(self) -> list[str]:
        """Every field name, for hints and suggestions."""
        names = list(self.fields)
        names += [ATTR_PREFIX + a for a in self.attributes]
        return names


def _fields(spec: str) -> dict[str, FieldSpec]:
    """Parse 'name:type name:choice(a,b) ...' into field specs (text when untyped)."""
    out: dict[str, FieldSpec] = {}
    for item in spec.split():
        name, _, rest = item.partition(":")
        kind, _, choices = (rest or "text").partition("(")
        out[name] = FieldSpec(name, FieldType(kind), tuple(filter(None, choices[:-1].split(","))))
    return out


_LEAD_FIELDS = _fields(
    "name scope:choice(contact,account) origin:choice(landing_page,event,email,journey) "
    "status priority:choice(low,normal,high,urgent) due_date:date territory "
    "stage:choice(nurture,sales_ready,accepted,qualified,opportunity,won,lost) "
    "sales_ready:boolean source:choice(manual,auto,import,api) external_id "
    "created_at:datetime updated_at:datetime"
)
_INTERACTION_FIELDS = _fields(
    "occurred_at:datetime url link bounce_type external_id duration_seconds:number"
)
_INTERACTION_RELATIONS = {
    "contact": "Contact",
    "account": "Account",
    "campaign": "Campaign",
    "program": "Program",
    "email": "Email",
    "landing_page": "LandingPage",
    "event": "Event",
}
BUILTIN_INTERACTION_TYPES: Mapping[str, str] = {
    "EmailDelivered": "email_delivered",
    "EmailOpened": "email_opened",
    "EmailClicked": "email_clicked",
    "EmailForwarded": "email_forwarded",
    "EmailBounced": "email_bounced",
    "EmailUnsubscribed": "email_unsubscribed",
    "WebsiteVisited": "website_visited",
    "FormSubmitted": "form_submitted",
    "EventRegistered": "event_registered",
    "EventAttended": "event_attended",
}


def _builtin_entities() -> dict[str, EntitySpec]:
    """The built-in entities, mirroring the database columns."""
    plain = {
        "Lead": (
            _LEAD_FIELDS,
            {
                "contact": "Contact",
                "account": "Account",
                "campaign": "Campaign",
                "program": "Program",
                "owner": "User",
            },
        ),
        "Contact": (
            _fields(
                "email first_name last_name job_title phone city state country external_id "
                "created_at:datetime"
            ),
            {"account": "Account"},
        ),
        "Account": (
            _fields(
                "name domain industry city country external_id employees:number "
                "annual_revenue:number created_at:datetime"
            ),
            {"parent": "Account"},
        ),
        "Campaign": (_fields("key name"), {"program": "Program"}),
        "Program": (_fields("key name"), {}),
        "User": (_fields("email name role"), {}),
        "LandingPage": (_fields("key name url"), {}),
        "Event": (_fields("key name"), {}),
        "Email": (_fields("key name subject"), {}),
    }
    entities = {name: EntitySpec(name, f, r) for name, (f, r) in plain.items()}
    for name, key in BUILTIN_INTERACTION_TYPES.items():
        entities[name] = EntitySpec(name, _INTERACTION_FIELDS, _INTERACTION_RELATIONS, key)
    return entities


@dataclass(frozen=True, eq=False)
class Schema:
    """Every entity a condition may name: built-ins plus a company's custom declarations."""

    entities: Mapping[str, EntitySpec]

    @classmethod
    def build(
        cls,
        custom_fields: Iterable[Mapping[str, Any]] = (),
        interaction_types: Iterable[Mapping[str, Any]] = (),
    ) -> Schema:
        """The schema of a company from its custom fields and custom interaction types."""
        entities = _builtin_entities()
        for decl in custom_fields:
            _add_custom_field(entities, decl)
        for decl in interaction_types:
            _add_interaction_type(entities, decl)
        return cls(entities)

    def entity(self, name: str) -> EntitySpec | None:
        """The entity called `name`, or None."""
        return self.entities.get(name)

    def interaction_types(self) -> dict[str, str]:
        """DSL entity name → interaction type key, for every behaviour entity."""
        return {e.name: e.type_key for e in self.entities.values() if e.type_key is not None}

    def root_names(self) -> list[str]:
        """Names a condition may start with: the fixed roots and the interaction types."""
        return [*FIXED_ROOTS, *self.interaction_types()]


def _parse_type(decl: Mapping[str, Any], where: str) -> FieldSpec:
    """A FieldSpec from a {key, type, choices} declaration."""
    key = decl.get("key")
    if not isinstance(key, str) or not _FIELD_KEY.match(key):
        raise SchemaInvalid(f"{where}: key {key!r} must be lower_snake_case")
    try:
        kind = FieldType(decl.get("type", "text"))
    except ValueError:
        valid = ", ".join(FieldType)
        raise SchemaInvalid(f"{where}: type {decl.get('type')!r} is not one of {valid}") from None
    choices = decl.get("choices") or ()
    if kind is FieldType.CHOICE and not choices:
        raise SchemaInvalid(f"{where}: choice field `{key}` needs choices")
    if not all(isinstance(c, str) for c in choices):
        raise SchemaInvalid(f"{where}: choices of `{key}` must be strings")
    return FieldSpec(key, kind, tuple(choices) if kind is FieldType.CHOICE else ())


def _add_custom_field(entities: dict[str, EntitySpec], decl: Mapping[str, Any]) -> None:
    """Add one custom field of a contact, account or lead."""
    owner = {"contact": "Contact", "account": "Account", "lead": "Lead"}.get(decl.get("entity", ""))
    if owner is None:
        raise SchemaInvalid(
            f"custom field {decl.get('key')!r}: entity must be contact, account or lead"
        )
    spec = _parse_type(decl, f"custom field {decl.get('key')!r}")
    entity = entities[owner]
    if spec.name in entity.fields or spec.name in entity.relations:
        raise SchemaInvalid(f"custom field `{spec.name}` clashes with a field of {owner}")
    entities[owner] = EntitySpec(
        owner, {**entity.fields, spec.name: spec}, entity.relations, entity.type_key
    )


def _add_interaction_type(entities: dict[str, EntitySpec], decl: Mapping[str, Any]) -> None:
    """Add a custom interaction type, or typed attributes to an existing one."""
    key = decl.get("key")
    existing = next((e for e in entities.values() if e.type_key == key and key), None)
    where = f"interaction type {key!r}"
    attrs = {s.name: s for s in (_parse_type(a, where) for a in decl.get("attributes") or ())}
    if existing is not None:
        merged = {**existing.attributes, **attrs}
        entities[existing.name] = EntitySpec(
            existing.name, existing.fields, existing.relations, existing.type_key, merged
        )
        return
    name = decl.get("name")
    if not isinstance(key, str) or not _FIELD_KEY.match(key):
        raise SchemaInvalid(f"{where}: key must be lower_snake_case")
    if not isinstance(name, str) or not _TYPE_NAME.match(name):
        raise SchemaInvalid(f"{where}: name {name!r} must be CamelCase, e.g. WebinarWatched")
    if name in entities:
        raise SchemaInvalid(f"{where}: name `{name}` is already an entity")
    entities[name] = EntitySpec(name, _INTERACTION_FIELDS, _INTERACTION_RELATIONS, key, attrs)


BUILTIN_SCHEMA = Schema.build()
