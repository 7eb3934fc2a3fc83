"""Small builders for scoring tests: models from text and lead worlds as plain records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.scoring import LeadFacts, ModelScore, ScoringModel, evaluate, parse_text

from .strategies import SCHEMA

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SPRING = {"id": 10, "key": "spring", "name": "Spring", "program": {"id": 20, "key": "launch"}}
SUMMER = {"id": 11, "key": "summer", "name": "Summer", "program": {"id": 21, "key": "brand"}}
LAUNCH = SPRING["program"]


def model(text: str) -> ScoringModel:
    """A model parsed from text against the test schema."""
    return parse_text(text, SCHEMA)


def one_rule(condition: str, points: int = 5, extra: str = "") -> ScoringModel:
    """A model with a single rule `R` whose WHEN clause is `condition`."""
    return model(f'MODEL "m"\nRULE "R" {points:+d}{extra}\n  WHEN {condition}\n')


def account(**fields: Any) -> dict[str, Any]:
    return {"id": fields.pop("id", 1), "parent": None, **fields}


def contact(**fields: Any) -> dict[str, Any]:
    return {"id": fields.pop("id", 1), "account": None, **fields}


def lead(**fields: Any) -> dict[str, Any]:
    base = {"id": 1, "scope": "contact", "contact": None, "account": None, "campaign": None,
            "program": None, "owner": None}
    return {**base, **fields}


def hit(kind: str = "email_clicked", days_ago: float = 1, **fields: Any) -> dict[str, Any]:
    """An interaction `days_ago` days before NOW."""
    base = {"id": fields.pop("id", id(fields)), "type": kind,
            "occurred_at": NOW - timedelta(days=days_ago), "campaign": None, "program": None,
            "contact": None, "account": None, "email": None, "landing_page": None,
            "event": None, "attr": {}}
    return {**base, **fields}


def facts_for(
    the_lead: dict[str, Any] | None = None,
    contacts: list[dict[str, Any]] | None = None,
    interactions: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> LeadFacts:
    the_lead = the_lead if the_lead is not None else lead()
    if contacts is None:
        contacts = [the_lead["contact"]] if the_lead.get("contact") else []
    return LeadFacts(the_lead, contacts, interactions or [], **kwargs)


def score(m: ScoringModel, facts: LeadFacts, as_of: datetime = NOW) -> ModelScore:
    return evaluate(m, facts, as_of, schema=SCHEMA)


def points(condition: str, facts: LeadFacts, as_of: datetime = NOW, extra: str = "") -> int:
    """The score of a one-rule (+1 point) model."""
    return score(one_rule(condition, 1, extra), facts, as_of).score
