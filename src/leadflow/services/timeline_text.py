"""How each kind of timeline entry reads: a one-line summary for people and the details, with
references given by natural key (campaign key, user email, model key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from leadflow.db import tables as t

Names = dict[str, dict[int, Any]]
EVENT_WORDS = {"lead.sales_ready": "Became sales-ready", "lead.updated": "Lead updated",
               "opportunity.updated": "Opportunity updated"}


def describe(kind: str, row: Any, lead: t.Lead, names: Names) -> tuple[str, dict[str, Any]]:
    """`(summary, details)` of one entry."""
    return DESCRIBERS[kind](row, lead, names)


def _interaction(row: t.Interaction, lead: t.Lead, names: Names) -> tuple[str, dict[str, Any]]:
    refs = {
        "campaign": names["campaign"].get(row.campaign_id or 0),
        "program": names["program"].get(row.program_id or 0),
        "landing_page": names["landing_page"].get(row.landing_page_id or 0),
        "event": names["event"].get(row.event_id or 0),
        "email": names["email"].get(row.email_id or 0),
    }
    details = {"id": row.id, "type": row.type, "linked": row.lead_id == lead.id,
               "contact_email": names["contact"].get(row.contact_id or 0), **refs,
               "url": row.url, "link": row.link, "bounce_type": row.bounce_type,
               "duration_seconds": row.duration_seconds, "attributes": row.attributes or {}}
    where = [f"{name.replace('_', ' ')} {key}" for name, key in refs.items()
             if key is not None and name != "program"]
    if row.url and not where:
        where.append(row.url)
    return row.type + (f" ({', '.join(where)})" if where else ""), details


def _created(row: t.Lead, lead: t.Lead, names: Names) -> tuple[str, dict[str, Any]]:
    origin = {
        "landing_page": names["landing_page"].get(row.origin_landing_page_id or 0),
        "event": names["event"].get(row.origin_event_id or 0),
        "email": names["email"].get(row.origin_email_id or 0),
    }
    details = {"source": row.source, "origin": row.origin,
               **{f"origin_{name}": key for name, key in origin.items()},
               "campaign": names["campaign"].get(row.campaign_id or 0),
               "program": names["program"].get(row.program_id or 0)}
    found = [f"{name.replace('_', ' ')} {key}" for name, key in origin.items() if key]
    text = f"Lead created (source {row.source}" + (f", from {found[0]}" if found else "") + ")"
    return text, details


def _score_change(row: t.ScoreLedgerEntry, lead: t.Lead, names: Names
                  ) -> tuple[str, dict[str, Any]]:
    model = names["model"].get(row.model_id)
    old = "none" if row.old_score is None else str(row.old_score)
    new = "none" if row.new_score is None else str(row.new_score)
    text = f"Score in {model}: {old} → {new} ({row.delta:+d}, {row.cause.replace('_', ' ')})"
    return text, {"model": model, "version": row.version, "old": row.old_score,
                  "new": row.new_score, "delta": row.delta, "cause": row.cause,
                  "cause_id": row.cause_id}


def _adjustment(row: t.ScoreAdjustment, lead: t.Lead, names: Names
                ) -> tuple[str, dict[str, Any]]:
    model = names["model"].get(row.model_id)
    by = f" by {row.actor}" if row.actor else ""
    return (f"{row.points:+d} points in {model}{by}: {row.reason}",
            {"model": model, "points": row.points, "reason": row.reason, "actor": row.actor})


def _event(row: t.DomainEvent, lead: t.Lead, names: Names) -> tuple[str, dict[str, Any]]:
    return (EVENT_WORDS.get(row.type, row.type),
            {"id": row.id, "type": row.type, "payload": row.payload or {}})


def _stage_change(row: t.StageChange, lead: t.Lead, names: Names
                  ) -> tuple[str, dict[str, Any]]:
    text = f"{row.action}: {row.from_stage or '-'} → {row.to_stage}"
    if row.actor:
        text += f" by {row.actor}"
    if row.reason:
        text += f" ({row.reason})"
    return text, {"action": row.action, "from_stage": row.from_stage, "to_stage": row.to_stage,
                  "actor": row.actor, "reason": row.reason}


def _assignment(row: t.Assignment, lead: t.Lead, names: Names) -> tuple[str, dict[str, Any]]:
    owner = names["user"].get(row.owner_id or 0)
    previous = names["user"].get(row.previous_owner_id or 0)
    rule = f" by rule '{row.rule_name}'" if row.rule_name else ""
    result = (row.changes or {}).get("result")
    if result == "unassignable" or (result is None and owner is None):
        text = f"No owner could take the lead{rule} ({row.trigger})"
    elif owner is not None and result != "updated":
        text = f"Assigned to {owner}{rule} ({row.trigger})"
    else:
        fields = ", ".join(sorted((row.changes or {}).get("set") or {})) or "nothing"
        text = f"Assignment rule '{row.rule_name}' set {fields} ({row.trigger})"
    return text, {"rule": row.rule_name, "owner": owner, "previous_owner": previous,
                  "trigger": row.trigger, "changes": row.changes or {}}


def _opportunity(row: t.Opportunity, lead: t.Lead, names: Names
                 ) -> tuple[str, dict[str, Any]]:
    money = ""
    if row.estimated_revenue is not None:
        money = f", {row.estimated_revenue:,.2f} {row.currency or ''}".rstrip()
    return (f"Opportunity '{row.name}' created (now {row.status}{money})",
            {"id": row.id, "name": row.name, "status": row.status,
             "estimated_revenue": row.estimated_revenue, "currency": row.currency,
             "probability": row.probability, "expected_close_date": _iso(row.expected_close_date),
             "source": row.source, "closed_at": _iso(row.closed_at)})


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


DESCRIBERS: dict[str, Callable[[Any, t.Lead, Names], tuple[str, dict[str, Any]]]] = {
    "interaction": _interaction, "created": _created, "score_change": _score_change,
    "score_adjustment": _adjustment, "event": _event, "stage_change": _stage_change,
    "assignment": _assignment, "opportunity": _opportunity,
}
