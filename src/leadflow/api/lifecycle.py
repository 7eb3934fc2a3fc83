"""REST routes of the lead life cycle: actions on a lead and its stage history (SPEC §5)."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.

from typing import Any

from fastapi import APIRouter

from leadflow.api.deps import ActorDep, SessionDep, require_read, require_write
from leadflow.domain.lifecycle import ACTIONS
from leadflow.opportunity_schemas import ActionIn
from leadflow.services import lifecycle, records
from leadflow.services.resources import LEADS

router = APIRouter(tags=["leads"])


@router.post(
    "/leads/{ident}/actions/{action}",
    summary="Take a life-cycle action on a lead",
    description="Actions: " + ", ".join(ACTIONS) + ". `reject`, `recycle` and `disqualify` "
    "need a `reason`; `convert` takes the new opportunity's details. An action the lead's "
    "stage does not allow is refused with 409 and `allowed_actions`.",
)
def take_action(ident: str, action: str, session: SessionDep, actor: ActorDep,
                data: ActionIn | None = None) -> dict[str, Any]:
    require_write(actor, "leads")
    body = data or ActionIn()
    lead = records.get(session, actor.company.id, LEADS, ident)
    outcome = lifecycle.act(session, actor.company, lead, action, f"key {actor.key_id}",
                            reason=body.reason, opportunity=body.opportunity)
    return lifecycle.describe(session, actor.company, outcome)


@router.get("/leads/{ident}/stage-changes", summary="The lead's stage history, oldest first")
def stage_changes(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    lead = records.get(session, actor.company.id, LEADS, ident)
    return {"items": lifecycle.history(session, actor.company.id, lead), "next_cursor": None}
