"""Input shape of an interaction type (SPEC §1, §2.3, §6.5): a custom behaviour entity, or typed
attributes for a built-in one. Checks that need the company (names, clashes, models that use the
type) are in services/interaction_types.py."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from leadflow.schemas import FieldKey, Input

_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
# The scoring core's rule for entity names (scoring/schema.py): CamelCase with a lower-case letter.
_NAME = re.compile(r"[A-Z][A-Z0-9]*[a-z][A-Za-z0-9]*\Z")
MAX_ATTRIBUTES = 100


class AttributeIn(Input):
    """A typed custom attribute, used in conditions as `attr.<key>`."""

    key: FieldKey
    type: Literal["text", "number", "boolean", "date"] = "text"


class InteractionTypeIn(Input):
    """`{key, name?, attributes?}`; without a name the key must be a built-in type's."""

    key: str
    name: str | None = None
    attributes: list[AttributeIn] = Field(default_factory=list, max_length=MAX_ATTRIBUTES)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        value = value.strip()
        if not _KEY.match(value):
            raise ValueError(f"'{value}' is not a type key: use lower_snake_case (a-z, 0-9, _;"
                             " up to 64 characters), e.g. webinar_watched")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if len(value) > 64 or not _NAME.match(value):
            raise ValueError(f"'{value}' is not an entity name: use CamelCase (letters and"
                             " digits, up to 64 characters), e.g. WebinarWatched")
        return value

    @field_validator("attributes")
    @classmethod
    def _unique(cls, value: list[AttributeIn] | None) -> list[AttributeIn] | None:
        seen: set[str] = set()
        for attribute in value or []:
            if attribute.key in seen:
                raise ValueError(f"attribute '{attribute.key}' is declared twice")
            seen.add(attribute.key)
        return value
