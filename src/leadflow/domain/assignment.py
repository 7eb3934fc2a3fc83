"""Assignment rules (SPEC §4) as values: what a rule checks, whom it gives the lead to, which
fields it sets, their dict (YAML/JSON) shape, and whether a rule holds for one lead.

Conditions are the scoring core's fixed-condition language (`Lead…`, `Contact…`, `Account…`,
plus `Campaign…`, which reads the lead's campaign), and three conditions on what scoring
decided about the lead:

- `{score: {model: KEY, op: ge, value: 50}}` — the lead's stored score in a model;
- `{grade: {model: KEY, op: in, value: [hot, warm]}}` — its grade in a model;
- `{sales_ready: true}` — its sales-ready flag.

`model` may be left out: the condition then holds when it holds for the score (grade) of
*any* model that scores the lead; a lead with no score reads as empty (only `is_empty` holds).
Everything here is pure: the caller loads the facts and the stored scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from leadflow.scoring.evaluate import LeadFacts, condition_outcome
from leadflow.scoring.matching import expr_holds
from leadflow.scoring.model import Condition, Expr, condition_to_dict, expr_to_dict
from leadflow.scoring.schema import BUILTIN_SCHEMA, Schema

CONDITION_ROOTS = ("Lead", "Contact", "Account", "Campaign")
SCORE_KINDS = ("score", "grade")
OWNER_CHOICES = ("user", "round_robin", "least_loaded")
SET_FIELDS = ("status", "territory", "priority")
PRIORITIES = ("low", "normal", "high", "urgent")
# Stages in which a lead still counts towards its owner's load (and capacity).
CLOSED_STAGES = ("won", "lost")


@dataclass(frozen=True)
class ScoreCondition:
    """A condition on the lead's stored score (`kind: score`) or grade (`kind: grade`) in one
    model, or in any model when `model` is None."""

    kind: str
    expr: Expr
    model: str | None = None


@dataclass(frozen=True)
class SalesReadyCondition:
    """Holds when the lead's sales-ready flag equals `value`."""

    value: bool


RuleCondition = Condition | ScoreCondition | SalesReadyCondition


@dataclass(frozen=True)
class PoolMember:
    """A user (by email) in an owner choice, with a round-robin weight."""

    user: str
    weight: int = 1


@dataclass(frozen=True)
class OwnerChoice:
    """Who gets the lead: one named `user`, a `round_robin` pool or the `least_loaded` of a
    list (`kind`); `members` in the order given."""

    kind: str
    members: tuple[PoolMember, ...]


@dataclass(frozen=True)
class AssignmentRuleSpec:
    """One rule: all `conditions` must hold (none: always); then `assign` chooses the owner
    (None: the rule only sets fields) and `set_fields` are written."""

    name: str
    conditions: tuple[RuleCondition, ...] = ()
    assign: OwnerChoice | None = None
    set_fields: Mapping[str, str] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class StoredScore:
    """A lead's stored score and grade in one model."""

    score: int
    grade: str | None


# --- evaluation -------------------------------------------------------------------------------


def lead_rooted(cond: Condition) -> Condition:
    """`Campaign.x` is read as `Lead.campaign.x`: the scoring core knows Lead roots only."""
    if cond.root != "Campaign":
        return cond
    return replace(cond, entity="Lead.campaign" + cond.entity[len("Campaign"):])


def condition_holds(
    cond: RuleCondition, facts: LeadFacts, scores: Mapping[str, StoredScore], as_of: datetime,
    schema: Schema = BUILTIN_SCHEMA,
) -> bool:
    """Whether one condition holds for the lead (scores: its stored scores by model key)."""
    if isinstance(cond, SalesReadyCondition):
        return bool(facts.lead.get("sales_ready")) == cond.value
    if isinstance(cond, ScoreCondition):
        values = [score.score if cond.kind == "score" else score.grade
                  for key, score in scores.items() if cond.model in (None, key)]
        if not values:
            return expr_holds(cond.expr, None, as_of)
        return any(expr_holds(cond.expr, value, as_of) for value in values)
    return condition_outcome(lead_rooted(cond), facts, as_of, schema).held


def rule_holds(
    rule: AssignmentRuleSpec, facts: LeadFacts, scores: Mapping[str, StoredScore],
    as_of: datetime, schema: Schema = BUILTIN_SCHEMA,
) -> bool:
    """Whether every condition of the rule holds for the lead (a rule without any always
    does: a catch-all at the end of the list)."""
    return all(condition_holds(c, facts, scores, as_of, schema) for c in rule.conditions)


def first_match(
    rules: list[AssignmentRuleSpec], facts: LeadFacts, scores: Mapping[str, StoredScore],
    as_of: datetime, schema: Schema = BUILTIN_SCHEMA,
) -> int | None:
    """The index of the first enabled rule that holds, or None."""
    for index, rule in enumerate(rules):
        if rule.enabled and rule_holds(rule, facts, scores, as_of, schema):
            return index
    return None


def field_changes(current: Mapping[str, Any], wanted: Mapping[str, str]) -> dict[str, dict[
    str, Any
]]:
    """`{field: {old, new}}` for the fields of `wanted` whose value differs from `current`."""
    return {name: {"old": current.get(name), "new": value} for name, value in wanted.items()
            if current.get(name) != value}


# --- the dict shape ---------------------------------------------------------------------------


def condition_dict(cond: RuleCondition) -> dict[str, Any]:
    """The dict shape of one condition."""
    if isinstance(cond, SalesReadyCondition):
        return {"sales_ready": cond.value}
    if isinstance(cond, ScoreCondition):
        body = expr_to_dict(cond.expr)
        body.pop("field")
        return {cond.kind: {"model": cond.model, **body} if cond.model else body}
    return condition_to_dict(cond)


def owner_choice_dict(choice: OwnerChoice) -> dict[str, Any]:
    """`{user: email}`, `{round_robin: [email | {user, weight}]}` or `{least_loaded: [email]}`."""
    if choice.kind == "user":
        return {"user": choice.members[0].user}
    if choice.kind == "least_loaded":
        return {"least_loaded": [m.user for m in choice.members]}
    return {"round_robin": [m.user if m.weight == 1 else {"user": m.user, "weight": m.weight}
                            for m in choice.members]}


def rule_dict(rule: AssignmentRuleSpec, *, compact: bool = False) -> dict[str, Any]:
    """The normalised dict shape of a rule (SPEC §6.5). `compact` (the file shape) leaves out
    `enabled: true` and an empty condition list."""
    out: dict[str, Any] = {"name": rule.name}
    if not compact or not rule.enabled:
        out["enabled"] = rule.enabled
    if not compact or rule.conditions:
        out["conditions"] = [condition_dict(c) for c in rule.conditions]
    if rule.assign is not None:
        out["assign"] = owner_choice_dict(rule.assign)
    if rule.set_fields or not compact:
        out["set"] = {name: rule.set_fields[name] for name in SET_FIELDS
                      if name in rule.set_fields}
    return out
