"""The demo step that scores: two live models per company (engagement and fit), one full
rescore, and a few manual adjustments by the company's marketer.

The models are built here in the dict shape of SPEC §6.5 (the same a YAML file would hold),
saved and published through the scoring services; docs/scoring.md walks through them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.services.demo.context import Demo
from leadflow.services.demo.data import PERSONAL_DOMAINS
from leadflow.services.scoring import models
from leadflow.services.scoring.rescore import Rescorer

ACTIVITY = ("EmailOpened", "EmailClicked", "WebsiteVisited", "FormSubmitted", "EventAttended")
TARGET_COUNTRIES = ["US", "CA", "GB", "DE", "NL"]


def engagement_model() -> dict[str, Any]:
    """How actively someone engages with the lead's campaign; points fade as activity ages."""
    def each(entity: str, days: int, **more: Any) -> list[dict[str, Any]]:
        return [{"entity": entity, "frequency": "each", "window": {"days": days}, **more}]

    return {
        "key": "engagement", "name": "Engagement", "status": "live",
        "description": "Recent activity in the lead's campaign: emails, web, forms, events.",
        "lead_scope": "any", "sales_ready_score": 45,
        "grades": [{"name": "cold", "max": 19}, {"name": "warm", "min": 20, "max": 44},
                   {"name": "hot", "min": 45}],
        "rules": [
            {"name": "Opened an email", "points": 2, "limit": 5,
             "conditions": each("EmailOpened", 30)},
            {"name": "Clicked an email", "points": 5, "limit": 10,
             "conditions": each("EmailClicked", 90)},
            {"name": "Submitted a form", "points": 15, "limit": 3,
             "conditions": each("FormSubmitted", 90)},
            {"name": "Attended an event", "points": 20, "limit": 2,
             "conditions": each("EventAttended", 180)},
            {"name": "Looked at pricing", "points": 3, "limit": 5,
             "conditions": each("WebsiteVisited", 30,
                                where=[{"field": "url", "op": "contains", "value": "/pricing"}])},
            {"name": "Unsubscribed", "points": -30,
             "conditions": [{"entity": "EmailUnsubscribed", "context": "any"}]},
            {"name": "Gone quiet", "points": -10, "conditions": [
                {"entity": entity, "frequency": "none", "window": {"days": 60}, "context": "any"}
                for entity in ACTIVITY]},
        ],
    }


def fit_model(industries: list[str]) -> dict[str, Any]:
    """How well the person and their company match the customers the company wants."""
    def where(entity: str, field: str, op: str, value: Any) -> list[dict[str, Any]]:
        return [{"entity": entity, "where": [{"field": field, "op": op, "value": value}]}]

    return {
        "key": "fit", "name": "Fit", "status": "live",
        "description": "Who the person is and where they work; no activity involved.",
        "lead_scope": "any",
        "grades": [{"name": "D", "max": 19}, {"name": "C", "min": 20, "max": 34},
                   {"name": "B", "min": 35, "max": 49}, {"name": "A", "min": 50}],
        "rules": [
            {"name": "Large company", "points": 20,
             "conditions": where("Account", "employees", "gt", 500)},
            {"name": "Target industry", "points": 10,
             "conditions": where("Account", "industry", "in", industries)},
            {"name": "Part of a group", "points": 5,
             "conditions": [{"entity": "Lead.contact.account.parent"}]},
            {"name": "Vice president", "points": 15,
             "conditions": where("Contact", "job_title", "contains", "VP")},
            {"name": "Director", "points": 15,
             "conditions": where("Contact", "job_title", "contains", "Director")},
            {"name": "Target country", "points": 5,
             "conditions": where("Contact", "country", "in", TARGET_COUNTRIES)},
            {"name": "Enterprise segment", "points": 10,
             "conditions": where("Contact", "segment", "eq", "enterprise")},
        ],
    }


@dataclass(frozen=True)
class Adjustment:
    """Points a marketer adds by hand, with the reason, to the lead `pick` chooses."""

    model: str
    points: int
    reason: str
    pick: str  # a key of PICKS


def load_scoring(demo: Demo) -> None:
    """Publish the company's models, score every lead once, then adjust a few by hand."""
    company = demo.company
    marketer = next((u.email for u in demo.users if u.role == "marketer"), None)
    for definition in demo.spec.catalog.scoring_models:
        model = models.parse(demo.session, company.id, definition)
        models.save(demo.session, company.id, model)
        models.publish(demo.session, company.id, model.key, actor=marketer)
    rescorer = Rescorer(demo.session, company, demo.now)
    rescorer.leads([lead.id for lead in demo.leads], "publish")
    scores = _scores(demo)
    taken: set[int] = set()
    done = Repository(demo.session, company.id, t.ScoreAdjustment)
    for item in demo.spec.catalog.adjustments:
        if done.find("reason", item.reason) is not None:  # scored before
            continue
        lead = PICKS[item.pick](demo, scores, taken)
        if lead is None:
            continue
        taken.add(lead.id)
        _adjust(demo, rescorer, lead, item, marketer)


def _adjust(demo: Demo, rescorer: Rescorer, lead: t.Lead, item: Adjustment,
            actor: str | None) -> None:
    """As a person would through the API (services.scoring.adjustments), at the demo's now."""
    row = models.get(demo.session, demo.company.id, item.model)
    adjustment = t.ScoreAdjustment(company_id=demo.company.id, lead_id=lead.id, model_id=row.id,
                                   points=item.points, reason=item.reason, actor=actor,
                                   created_at=demo.now)
    demo.session.add(adjustment)
    demo.session.flush()
    rescorer.leads([lead.id], "manual_adjustment", adjustment.id)


Scores = dict[int, dict[str, t.LeadScore]]
Pick = Callable[[Demo, Scores, set[int]], "t.Lead | None"]


def _scores(demo: Demo) -> Scores:
    keys = {row.id: row.key for row in queries.models(demo.session, demo.company.id)}
    out: Scores = {}
    for score in queries.scores_of(demo.session, demo.company.id, [x.id for x in demo.leads]):
        out.setdefault(score.lead_id, {})[keys[score.model_id]] = score
    return out


def _nurture(demo: Demo, taken: set[int]) -> list[t.Lead]:
    return [lead for lead in demo.leads
            if lead.stage == "nurture" and not lead.sales_ready and lead.id not in taken]


def _warmest(demo: Demo, scores: Scores, taken: set[int]) -> t.Lead | None:
    """The nurture lead closest to sales-ready without being there."""
    leads = [x for x in _nurture(demo, taken) if "engagement" in scores.get(x.id, {})]
    return max(leads, key=lambda x: (scores[x.id]["engagement"].score, -x.id), default=None)


def _personal(demo: Demo, scores: Scores, taken: set[int]) -> t.Lead | None:
    """A nurture lead of someone who wrote in with a personal address."""
    leads = _nurture(demo, taken)
    emails = Repository(demo.session, demo.company.id, t.Contact).keys_by_id(
        [x.contact_id for x in leads if x.contact_id is not None], "email")
    for lead in leads:
        if emails.get(lead.contact_id or -1, "").endswith(PERSONAL_DOMAINS):
            return lead
    return None


def _best_c(demo: Demo, scores: Scores, taken: set[int]) -> t.Lead | None:
    """The nurture lead with the best fit among those graded C."""
    leads = [x for x in _nurture(demo, taken) if _grade(scores, x.id, "fit") == "C"]
    return max(leads, key=lambda x: (scores[x.id]["fit"].score, -x.id), default=None)


def _grade(scores: Scores, lead_id: int, model: str) -> str | None:
    score = scores.get(lead_id, {}).get(model)
    return score.grade if score is not None else None


PICKS: dict[str, Pick] = {"warmest": _warmest, "personal": _personal, "best_c": _best_c}
