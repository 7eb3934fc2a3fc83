"""Scoring model value objects, their dict (YAML/JSON) shape, and validation entry points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from leadflow.scoring.schema import BUILTIN_SCHEMA, FIXED_ROOTS, Schema
from leadflow.scoring.values import Value, value_to_raw

KINDS = ("rules",)
LEAD_SCOPES = ("contact", "account", "any")
FREQUENCIES = ("each", "at_least", "none")
CONTEXTS = ("lead", "any")
TARGET_KINDS = ("campaign", "program", "company")
VALUELESS_OPS = ("is_empty", "is_not_empty")
LIST_OPS = ("in", "not_in", "between")


@dataclass(frozen=True)
class Expr:
    """One `where` expression: a (possibly dotted) field, an operator and a typed value."""

    field: str
    op: str
    value: Value = None


@dataclass(frozen=True)
class Window:
    """Which interactions count by age: the last `days` days, or `since` a date."""

    days: int | None = None
    since: date | None = None


@dataclass(frozen=True)
class Condition:
    """A root entity with hops, filtered by `where`; behaviour conditions also count."""

    entity: str
    where: tuple[Expr, ...] = ()
    frequency: str = "at_least"
    count: int = 1
    window: Window | None = None
    context: str = "lead"

    @property
    def root(self) -> str:
        """The root entity name (`EmailClicked` of `EmailClicked.contact`)."""
        return self.entity.split(".")[0]

    @property
    def hops(self) -> tuple[str, ...]:
        """The relation hops after the root."""
        return tuple(self.entity.split(".")[1:])

    @property
    def is_behaviour(self) -> bool:
        """True when the root is an interaction type rather than Lead/Contact/Account."""
        return self.root not in FIXED_ROOTS


@dataclass(frozen=True)
class Rule:
    """Points given each time all conditions hold (at most `limit` times)."""

    name: str
    points: int
    conditions: tuple[Condition, ...]
    limit: int | None = None


@dataclass(frozen=True)
class Grade:
    """A named inclusive score range; the first may omit min, the last max."""

    name: str
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Target:
    """What a model is assigned to with `model_selection: context`."""

    kind: str
    key: str | None = None


@dataclass(frozen=True)
class Bounds:
    """The range a score is clamped to (either end optional)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class ScoringModel:
    """A rule scoring model: content only (status and versions live in the database)."""

    key: str
    name: str
    rules: tuple[Rule, ...]
    description: str = ""
    kind: str = "rules"
    lead_scope: str = "any"
    audience: tuple[Condition, ...] = ()
    applies_to: tuple[Target, ...] = ()
    grades: tuple[Grade, ...] = ()
    sales_ready_score: int | None = None
    bounds: Bounds | None = None


def validate(model: ScoringModel, schema: Schema = BUILTIN_SCHEMA) -> ScoringModel:
    """Return `model` if it is valid against `schema`, else raise ModelInvalid with every error."""
    from leadflow.scoring.errors import ModelInvalid
    from leadflow.scoring.validation import model_errors

    errors = model_errors(model, schema)
    if errors:
        raise ModelInvalid(errors)
    return model


def model_from_dict(data: Mapping[str, Any], schema: Schema = BUILTIN_SCHEMA) -> ScoringModel:
    """Build and validate a model from its dict shape (SPEC §6.5); raises ModelInvalid."""
    from leadflow.scoring.reader import read_model

    return validate(read_model(data, schema), schema)


def expr_to_dict(expr: Expr) -> dict[str, Any]:
    """The dict shape of one expression."""
    out: dict[str, Any] = {"field": expr.field, "op": expr.op}
    if expr.op not in VALUELESS_OPS:
        out["value"] = value_to_raw(expr.value)
    return out


def condition_to_dict(cond: Condition) -> dict[str, Any]:
    """The dict shape of one condition, defaults left out."""
    out: dict[str, Any] = {"entity": cond.entity}
    if cond.where:
        out["where"] = [expr_to_dict(e) for e in cond.where]
    if cond.frequency != "at_least":
        out["frequency"] = cond.frequency
    if cond.count != 1:
        out["count"] = cond.count
    if cond.window is not None:
        window = cond.window
        out["window"] = (
            {"days": window.days} if window.since is None else {"since": window.since.isoformat()}
        )
    if cond.context != "lead":
        out["context"] = cond.context
    return out


def _range(low: int | None, high: int | None) -> dict[str, int]:
    return {k: v for k, v in (("min", low), ("max", high)) if v is not None}


def model_to_dict(model: ScoringModel) -> dict[str, Any]:
    """The normalised dict (YAML) shape of a model; `model_from_dict` reads it back."""
    out: dict[str, Any] = {"key": model.key, "name": model.name}
    if model.description:
        out["description"] = model.description
    out["kind"] = model.kind
    out["lead_scope"] = model.lead_scope
    if model.audience:
        out["audience"] = [condition_to_dict(c) for c in model.audience]
    if model.applies_to:
        out["applies_to"] = [
            {t.kind: True if t.kind == "company" else t.key} for t in model.applies_to
        ]
    if model.sales_ready_score is not None:
        out["sales_ready_score"] = model.sales_ready_score
    if model.bounds is not None:
        out["bounds"] = _range(model.bounds.min, model.bounds.max)
    if model.grades:
        out["grades"] = [{"name": g.name, **_range(g.min, g.max)} for g in model.grades]
    out["rules"] = [_rule_to_dict(r) for r in model.rules]
    return out


def _rule_to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"name": rule.name, "points": rule.points}
    if rule.limit is not None:
        out["limit"] = rule.limit
    out["conditions"] = [condition_to_dict(c) for c in rule.conditions]
    return out
