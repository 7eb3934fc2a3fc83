"""Interaction types: the built-in ones and those a company declares, with typed attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import ingestion as queries
from leadflow.errors import FieldError, ValidationFailed
from leadflow.scoring.schema import BUILTIN_INTERACTION_TYPES
from leadflow.services.custom_fields import coerce_value

LEAD_INTERACTIONS = frozenset({"form_submitted", "event_registered", "event_attended"})


@dataclass
class TypeCatalog:
    """Every interaction type a company may send, by key and by entity name."""

    names: dict[str, str] = field(default_factory=dict)  # entity name → key
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # key → {attr: type}

    def resolve(self, given: str) -> str:
        """The type key for a key or an entity name; ValidationFailed if unknown."""
        if given in self.attributes:
            return given
        if given in self.names:
            return self.names[given]
        known = ", ".join(sorted(self.attributes))
        raise ValidationFailed(
            "Unknown interaction type",
            errors=[FieldError("type", f"unknown interaction type '{given}'; known: {known}")],
        )

    def typed_attributes(self, key: str, values: dict[str, Any]) -> dict[str, Any]:
        """Attributes coerced to their declared types; undeclared ones are kept as text."""
        declared = self.attributes.get(key, {})
        out: dict[str, Any] = {}
        errors = []
        for name, value in values.items():
            kind = declared.get(name, "text")
            try:
                coerced = coerce_value(kind, None, value)
            except (TypeError, ValueError) as error:
                errors.append(FieldError(f"attributes.{name}", f"not a valid {kind}: {error}"))
                continue
            if coerced is not None:
                out[name] = coerced
        if errors:
            raise ValidationFailed("Invalid interaction attributes", errors=errors)
        return out


def catalog(session: Session, company_id: int) -> TypeCatalog:
    """Built-in types plus the company's declared ones."""
    result = TypeCatalog(dict(BUILTIN_INTERACTION_TYPES),
                         {key: {} for key in BUILTIN_INTERACTION_TYPES.values()})
    for row in queries.interaction_types(session, company_id):
        if row.name:
            result.names[row.name] = row.key
        result.attributes[row.key] = {a["key"]: a.get("type", "text") for a in row.attributes}
    return result
