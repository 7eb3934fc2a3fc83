"""Score one lead from its records as of a time, with the explanation (the reference back end)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.scoring.matching import Record, follow, record_matches
from leadflow.scoring.model import Bounds, Condition, Rule, ScoringModel
from leadflow.scoring.schema import BUILTIN_SCHEMA, Schema
from leadflow.scoring.values import midnight_utc, to_utc

MAX_MATCHED_IDS = 50


@dataclass(frozen=True)
class LeadFacts:
    """Everything a score depends on besides the model and the time, as plain records."""

    lead: Record
    contacts: Sequence[Record] = ()
    interactions: Sequence[Record] = ()
    behavior_since: datetime | None = None
    adjustment: int = 0


@dataclass(frozen=True)
class ConditionResult:
    """How one condition fared: held or not, how many records matched, which ones."""

    entity: str
    held: bool
    count: int
    matched_ids: tuple[Any, ...]


@dataclass(frozen=True)
class RuleResult:
    """How one rule fared: its fires (after the limit) and contribution to the score."""

    name: str
    points: int
    fires: int
    limit: int | None
    contribution: int
    conditions: tuple[ConditionResult, ...]


@dataclass(frozen=True)
class ModelScore:
    """A lead's score in one model as of a time, with the explanation."""

    model_key: str
    as_of: datetime
    score: int
    grade: str | None
    sales_ready: bool
    sales_ready_score: int | None
    rules: tuple[RuleResult, ...]
    adjustment: int
    unbounded_score: int
    bounds: Bounds | None
    next_change_at: datetime | None

    @property
    def clamped(self) -> bool:
        """True when the bounds changed the score."""
        return self.score != self.unbounded_score


@dataclass(frozen=True)
class ConditionOutcome:
    """Whether a condition held, how many records matched, and when counted ones expire."""

    held: bool
    count: int
    matched: list[Record]
    expiries: list[datetime]


def evaluate(
    model: ScoringModel, facts: LeadFacts, as_of: datetime, *, schema: Schema = BUILTIN_SCHEMA
) -> ModelScore:
    """Score `facts` with `model` as of `as_of` (aware; naive is taken as UTC)."""
    as_of = to_utc(as_of)
    results: list[RuleResult] = []
    expiries: list[datetime] = []
    for rule in model.rules:
        result, rule_expiries = _score_rule(rule, facts, as_of, schema)
        results.append(result)
        expiries += rule_expiries
    unbounded = sum(r.contribution for r in results) + facts.adjustment
    score = clamp(unbounded, model.bounds)
    ready = model.sales_ready_score is not None and score >= model.sales_ready_score
    return ModelScore(
        model_key=model.key,
        as_of=as_of,
        score=score,
        grade=grade_for(model, score),
        sales_ready=ready,
        sales_ready_score=model.sales_ready_score,
        rules=tuple(results),
        adjustment=facts.adjustment,
        unbounded_score=unbounded,
        bounds=model.bounds,
        next_change_at=min((t for t in expiries if t > as_of), default=None),
    )


def applies(
    model: ScoringModel,
    facts: LeadFacts,
    as_of: datetime | None = None,
    *,
    schema: Schema = BUILTIN_SCHEMA,
) -> bool:
    """True when the model's lead scope and audience fit the lead (as_of: for relative dates)."""
    if model.lead_scope not in ("any", facts.lead.get("scope")):
        return False
    moment = to_utc(as_of) if as_of is not None else datetime.now(UTC)
    return all(
        condition_outcome(c, facts, moment, schema).held for c in model.audience
    )


def clamp(value: int, bounds: Bounds | None) -> int:
    """`value` limited to `bounds`."""
    if bounds is not None and bounds.min is not None:
        value = max(value, bounds.min)
    if bounds is not None and bounds.max is not None:
        value = min(value, bounds.max)
    return value


def grade_for(model: ScoringModel, score: int) -> str | None:
    """The name of the grade whose inclusive range holds `score`, or None."""
    for grade in model.grades:
        if (grade.min is None or score >= grade.min) and (grade.max is None or score <= grade.max):
            return grade.name
    return None


def _score_rule(
    rule: Rule, facts: LeadFacts, as_of: datetime, schema: Schema
) -> tuple[RuleResult, list[datetime]]:
    outcomes = [condition_outcome(c, facts, as_of, schema) for c in rule.conditions]
    fires = 0
    if all(o.held for o in outcomes):
        each = [o.count for c, o in zip(rule.conditions, outcomes, strict=True) if _is_each(c)]
        fires = each[0] if each else 1
    if rule.limit is not None:
        fires = min(fires, rule.limit)
    explained = tuple(
        ConditionResult(c.entity, o.held, o.count, _ids(o.matched))
        for c, o in zip(rule.conditions, outcomes, strict=True)
    )
    result = RuleResult(rule.name, rule.points, fires, rule.limit, rule.points * fires, explained)
    return result, [t for o in outcomes for t in o.expiries]


def _is_each(cond: Condition) -> bool:
    return cond.is_behaviour and cond.frequency == "each"


def _ids(records: list[Record]) -> tuple[Any, ...]:
    return tuple(r.get("id") for r in records[:MAX_MATCHED_IDS])


def condition_outcome(
    cond: Condition, facts: LeadFacts, as_of: datetime, schema: Schema = BUILTIN_SCHEMA
) -> ConditionOutcome:
    """Whether `cond` holds for the lead as of `as_of`, with the records it matched."""
    if not cond.is_behaviour:
        subjects = _fixed_subjects(cond.root, facts)
        matched = [s for s in subjects if record_matches(follow(s, cond.hops), cond, as_of)]
        return ConditionOutcome(bool(matched), len(matched), matched, [])
    matched = [
        i
        for i in _candidates(cond, facts, as_of, _type_key(cond.root, schema))
        if record_matches(follow(i, cond.hops), cond, as_of)
    ]
    matched.sort(key=lambda i: (to_utc(i["occurred_at"]), str(i.get("id"))), reverse=True)
    count = len(matched)
    held = {"each": count >= 1, "none": count == 0}.get(cond.frequency, count >= cond.count)
    expiries: list[datetime] = []
    if cond.window is not None and cond.window.days is not None:
        span = timedelta(days=cond.window.days)
        expiries = [to_utc(i["occurred_at"]) + span for i in matched]
    return ConditionOutcome(held, count, matched, expiries)


def _fixed_subjects(root: str, facts: LeadFacts) -> list[Record]:
    """The records a fixed root sees: the lead, the lead's contacts, or the lead's account."""
    lead = facts.lead
    if root == "Lead":
        return [lead]
    if root == "Contact":
        return [c for c in facts.contacts if c is not None]
    account = None
    if lead.get("scope") == "contact":
        account = follow(lead, ["contact", "account"])
    account = account or lead.get("account")
    return [account] if account is not None else []


def _candidates(
    cond: Condition, facts: LeadFacts, as_of: datetime, type_key: str
) -> list[Record]:
    """Interactions of the condition's type in time, window and context."""
    since = to_utc(facts.behavior_since) if facts.behavior_since is not None else None
    window = cond.window
    earliest_excluded = as_of - timedelta(days=window.days) if window and window.days else None
    window_start = midnight_utc(window.since) if window and window.since else None
    out = []
    for item in facts.interactions:
        if item.get("type") != type_key:
            continue
        at = to_utc(item["occurred_at"])
        if at > as_of or (since is not None and at < since):
            continue
        if earliest_excluded is not None and at <= earliest_excluded:
            continue
        if window_start is not None and at < window_start:
            continue
        if cond.context == "lead" and not in_lead_context(item, facts.lead):
            continue
        out.append(item)
    return out


def in_lead_context(interaction: Record, lead: Record) -> bool:
    """The `context: lead` rule: does this interaction count for this lead's marketing context?"""
    i_campaign, i_program = _id(interaction.get("campaign")), _id(interaction.get("program"))
    if i_campaign is None and i_program is None:
        return True
    l_campaign, l_program = _id(lead.get("campaign")), _id(lead.get("program"))
    if l_campaign is None and l_program is None:
        return True
    if l_campaign is not None:
        return bool(i_campaign == l_campaign)
    via_campaign = _id(follow(interaction, ["campaign", "program"]))
    return l_program in (i_program, via_campaign)


def _id(record: Record | None) -> Any:
    return None if record is None else record.get("id")


def _type_key(name: str, schema: Schema) -> str:
    """The interaction type key of a behaviour entity (snake_case of the name if unknown)."""
    entity = schema.entity(name)
    if entity is not None and entity.type_key is not None:
        return entity.type_key
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
