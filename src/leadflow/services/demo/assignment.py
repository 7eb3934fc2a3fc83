"""The demo step that routes leads: each company gets assignment rules (hot leads to a senior
rep, territories by where the contact is, in round robin, and a least-loaded catch-all), saved
through the rule service, then run over the month's new leads and the sales-ready leads nobody
owns, so the demo shows owners and assignment history. It runs last, once leads have scores."""

from __future__ import annotations

from typing import Any

from leadflow.db import assignment as queries
from leadflow.services.assignment import ondemand, rules
from leadflow.services.demo.context import Demo

WEST_STATES = ["CA", "WA", "OR", "CO", "AZ"]
EMEA = ["GB", "IE", "DE", "FR", "NL", "ES", "SE", "CH"]


def _where(field: str, values: list[str]) -> dict[str, Any]:
    return {"entity": "Lead.contact", "where": [{"field": field, "op": "in", "value": values}]}


def _northwind(at: str) -> list[dict[str, Any]]:
    return [
        {"name": "Hot leads to a senior rep",
         "conditions": [{"grade": {"model": "engagement", "op": "eq", "value": "hot"}}],
         "assign": {"user": f"chloe.martin@{at}"}, "set": {"priority": "high"}},
        {"name": "West coast", "conditions": [_where("state", WEST_STATES)],
         "assign": {"round_robin": [f"ana.lima@{at}", f"ben.okafor@{at}"]},
         "set": {"territory": "west"}},
        {"name": "North America east", "conditions": [_where("country", ["US", "CA"])],
         "assign": {"round_robin": [f"chloe.martin@{at}", f"diego.garcia@{at}"]},
         "set": {"territory": "east"}},
        {"name": "Europe", "conditions": [_where("country", EMEA)],
         "assign": {"round_robin": [{"user": f"emma.schmidt@{at}", "weight": 2},
                                    f"farid.haddad@{at}"]},
         "set": {"territory": "emea"}},
        {"name": "Everyone else",
         "assign": {"least_loaded": [f"{name}@{at}" for name in (
             "ana.lima", "ben.okafor", "chloe.martin", "emma.schmidt", "farid.haddad")]}},
    ]


def _agency(at: str) -> list[dict[str, Any]]:
    return [
        {"name": "West coast", "conditions": [_where("state", WEST_STATES)],
         "assign": {"user": f"sam.rivera@{at}"}, "set": {"territory": "west"}},
        {"name": "Everyone else",
         "assign": {"least_loaded": [f"sam.rivera@{at}", f"tara.walsh@{at}"]}},
    ]


RULES = {"northwind": ("northwindtraders.com", _northwind),
         "site": ("leadflow.example", _agency)}


def load_assignment(demo: Demo) -> None:
    """Save the company's rules and give every lead without an owner to one."""
    recipe = RULES.get(demo.company.key)
    if recipe is None:
        return
    domain, make = recipe
    session, company = demo.session, demo.company
    for data in make(domain):
        rules.create(session, company.id, data)
    # As if the rules had been in place: the leads the month of activity created, and the
    # sales-ready ones nobody took yet. Older nurture leads stay with marketing.
    played = demo.extra.get("activity")
    ids = set(getattr(played, "new_leads", []))
    ids |= set(queries.lead_ids(session, company.id, {"stage": ["sales_ready"]},
                                unowned_only=True))
    demo.extra["assignment"] = ondemand.run(session, company, sorted(ids), dry_run=False)
