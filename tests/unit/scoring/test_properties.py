"""Properties over generated models and worlds: round trips and scoring invariants."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.scoring import (
    LeadFacts,
    ScoringModel,
    evaluate,
    model_from_dict,
    model_to_dict,
    parse_text,
    render_text,
    validate,
)
from leadflow.scoring.values import DaysAgo

from .strategies import AS_OF, SCHEMA, scoring_models, worlds

# Kept small so the whole folder runs in seconds; raise max_examples locally to dig deeper.
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORLDS = settings(FAST, max_examples=20)


@FAST
@given(scoring_models())
def test_generated_models_are_valid(model: ScoringModel) -> None:
    assert validate(model, SCHEMA) is model


@FAST
@given(scoring_models())
def test_text_round_trip(model: ScoringModel) -> None:
    assert parse_text(render_text(model), SCHEMA) == model


@FAST
@given(scoring_models())
def test_dict_round_trip_through_json(model: ScoringModel) -> None:
    data = model_to_dict(model)
    assert model_from_dict(json.loads(json.dumps(data)), SCHEMA) == model
    assert model_to_dict(model_from_dict(data, SCHEMA)) == data


@WORLDS
@given(scoring_models(), worlds())
def test_score_is_the_clamped_sum_of_contributions(model: ScoringModel, facts: LeadFacts) -> None:
    result = evaluate(model, facts, AS_OF, schema=SCHEMA)
    total = sum(r.points * r.fires for r in result.rules) + facts.adjustment
    assert result.unbounded_score == total
    if model.bounds is None:
        assert result.score == total
    for rule, explained in zip(model.rules, result.rules, strict=True):
        assert explained.fires >= 0
        assert rule.limit is None or explained.fires <= rule.limit
        assert explained.fires == 0 or all(c.held for c in explained.conditions)
    if result.grade is not None:
        grade = next(g for g in model.grades if g.name == result.grade)
        assert grade.min is None or grade.min <= result.score
        assert grade.max is None or result.score <= grade.max
    if result.next_change_at is not None:
        assert result.next_change_at > AS_OF


def _uses_relative_dates(model: ScoringModel) -> bool:
    conditions = [c for r in model.rules for c in r.conditions]
    values = [e.value for c in conditions for e in c.where]
    flat = [v for value in values for v in (value if isinstance(value, tuple) else (value,))]
    return any(isinstance(v, DaysAgo) for v in flat)


@WORLDS
@given(scoring_models(), worlds(), st.floats(0.0, 0.999))
def test_score_is_constant_until_next_change(
    model: ScoringModel, facts: LeadFacts, fraction: float
) -> None:
    past = [i for i in facts.interactions if i["occurred_at"] <= AS_OF]
    facts = LeadFacts(facts.lead, facts.contacts, past, facts.behavior_since, facts.adjustment)
    if _uses_relative_dates(model):
        return
    now = evaluate(model, facts, AS_OF, schema=SCHEMA)
    horizon = now.next_change_at or AS_OF + timedelta(days=400)
    later = AS_OF + (horizon - AS_OF) * fraction
    assert evaluate(model, facts, later, schema=SCHEMA).score == now.score
