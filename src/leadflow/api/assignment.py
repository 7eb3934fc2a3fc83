"""REST routes of assignment (SPEC §4): the ordered rules, running them on demand, and a lead's
assignment history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from leadflow.api.deps import ActorDep, SessionDep, require_read, require_write
from leadflow.db import assignment as queries
from leadflow.services import records
from leadflow.services.assignment import ondemand
from leadflow.services.assignment import rules as service
from leadflow.services.assignment.history import lead_history
from leadflow.services.resources import LEADS

router = APIRouter(tags=["assignment-rules"])
RESOURCE = "assignment-rules"
RULE_EXAMPLE = {
    "name": "West hot leads",
    "conditions": [{"entity": "Lead.contact",
                    "where": [{"field": "state", "op": "in", "value": ["CA", "OR", "WA"]}]},
                   {"grade": {"model": "engagement", "op": "in", "value": ["hot"]}}],
    "assign": {"round_robin": ["ana@acme.test", {"user": "ben@acme.test", "weight": 2}]},
    "set": {"territory": "west", "priority": "high"},
}
RuleBody = Body(..., openapi_examples={"rule": {"value": RULE_EXAMPLE}},
                description="name, enabled, conditions, assign, set and (optional) position")


class RunIn(BaseModel):
    """Which leads to run the rules over: exactly one of `lead_id`, `filter` or `all`."""

    model_config = ConfigDict(extra="forbid")
    lead_id: int | None = None
    filter: dict[str, Any] | None = Field(
        None, description="Lead fields: stage, status, priority, territory, source, scope, "
        "sales_ready, owner (email or null), campaign, program; a value or a list")
    all: bool = False
    dry_run: bool = False
    only_unassigned: bool = True


@router.get("/assignment-rules", summary="List the assignment rules in the order they are tried")
def list_rules(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    rows = queries.rules(session, actor.company.id)
    return {"items": [service.describe(session, row) for row in rows], "next_cursor": None}


@router.post("/assignment-rules", status_code=201, summary="Add a rule (last, or at `position`)")
def create_rule(session: SessionDep, actor: ActorDep, body: dict[str, Any] = RuleBody
                ) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    return service.describe(session, service.create(session, actor.company.id, body))


@router.post("/assignment-rules/run",
             summary="Run the rules over one lead, a filter or all leads (optionally a dry run)")
async def run_rules(data: RunIn, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_write(actor, RESOURCE)

    def work() -> dict[str, Any]:
        ids = ondemand.select_leads(
            session, actor.company.id, lead_id=data.lead_id, filters=data.filter,
            everything=data.all, only_unassigned=data.only_unassigned)
        report = ondemand.run(session, actor.company, ids, dry_run=data.dry_run,
                              only_unassigned=data.only_unassigned)
        return report.as_dict()

    return await run_in_threadpool(work)


@router.get("/assignment-rules/{ident}", summary="Read a rule (by id or name)")
def read_rule(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    return service.describe(session, service.get(session, actor.company.id, ident))


@router.patch("/assignment-rules/{ident}",
              summary="Change a rule's fields; `position` moves it (1 = tried first)")
def update_rule(ident: str, session: SessionDep, actor: ActorDep,
                body: dict[str, Any] = RuleBody) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    row = service.get(session, actor.company.id, ident)
    return service.describe(session, service.update(session, actor.company.id, row, body))


@router.delete("/assignment-rules/{ident}", status_code=204, summary="Delete a rule")
def delete_rule(ident: str, session: SessionDep, actor: ActorDep) -> Response:
    require_write(actor, RESOURCE)
    service.delete(session, actor.company.id, service.get(session, actor.company.id, ident))
    return Response(status_code=204)


@router.get("/leads/{ident}/assignments", tags=["leads"],
            summary="The lead's assignment history: rule, owner, trigger, time")
def assignments(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    lead = records.get(session, actor.company.id, LEADS, ident)
    return {"items": lead_history(session, actor.company.id, lead.id), "next_cursor": None}
