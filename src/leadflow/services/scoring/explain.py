"""Why a lead has its scores: per model, every rule's fires, points and matched interactions."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.domain.settings import effective_settings
from leadflow.scoring.evaluate import ModelScore
from leadflow.services.scoring.catalog import company_schema, live_models, score_lead
from leadflow.services.scoring.facts import FactLoader


def explain(session: Session, company: t.Company, lead: t.Lead,
            as_of: datetime | None = None) -> dict[str, Any]:
    """The lead's scores as of `as_of` (default now) in every live model, explained."""
    when = as_of or utcnow()
    settings = effective_settings(company.settings)
    schema = company_schema(session, company.id)
    live = live_models(session, company.id, schema)
    reset = bool(settings["lifecycle.recycle_resets_behavior"])
    facts = FactLoader(session, company.id).load([lead], when, behavior_reset=reset)[lead.id]
    adjustments = {model_id: points for (_, model_id), points in
                   queries.adjustments_of(session, company.id, [lead.id]).items()}
    scores, reason = score_lead(live, facts, str(settings["scoring.model_selection"]), when,
                                schema, adjustments)
    notes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in queries.adjustment_rows(session, company.id, lead.id):
        notes[row.model_id].append({"points": row.points, "reason": row.reason,
                                    "actor": row.actor, "at": row.created_at.isoformat()})
    models = [_model(item.row.key, item.version.version, scores[item.row.id],
                     notes.get(item.row.id, [])) for item in live if item.row.id in scores]
    return {"lead_id": lead.id, "as_of": when.isoformat(), "model_selection":
            settings["scoring.model_selection"], "models": models, "reason": reason,
            "sales_ready": lead.sales_ready}


def _model(key: str, version: int, result: ModelScore, adjustments: list[Any]) -> dict[str, Any]:
    return {
        "model": key, "version": version, "score": result.score, "grade": result.grade,
        "sales_ready": result.sales_ready, "sales_ready_score": result.sales_ready_score,
        "unbounded_score": result.unbounded_score,
        "bounds": ({"min": result.bounds.min, "max": result.bounds.max}
                   if result.bounds else None),
        "adjustment": result.adjustment, "adjustments": adjustments,
        "next_change_at": result.next_change_at.isoformat() if result.next_change_at else None,
        "rules": [{
            "name": rule.name, "points": rule.points, "fires": rule.fires, "limit": rule.limit,
            "contribution": rule.contribution,
            "conditions": [{"entity": c.entity, "held": c.held, "count": c.count,
                            "matched_interaction_ids": list(c.matched_ids)}
                           for c in rule.conditions],
        } for rule in result.rules],
    }
