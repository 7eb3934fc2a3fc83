"""REST routes of opportunities (SPEC §5): the usual list/read/create/change over the generic
record services, and the upsert a CRM makes by its own id."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.

from typing import Any

from fastapi import APIRouter, Request, Response

from leadflow.api.deps import ActorDep, SessionDep, require_read, require_write
from leadflow.opportunity_schemas import CrmOpportunityIn, OpportunityIn
from leadflow.services import opportunities, records
from leadflow.services.opportunities import OpportunityPatch
from leadflow.services.resources import OPPORTUNITIES

router = APIRouter(prefix="/opportunities", tags=["opportunities"])
RESOURCE = "opportunities"


def _actor(actor: ActorDep) -> str:
    return f"key {actor.key_id}"


@router.get("", summary="List opportunities")
def list_opportunities(request: Request, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    rows, cursor = records.list_page(session, actor.company.id, OPPORTUNITIES, params)
    return {"items": records.serialize(session, actor.company.id, OPPORTUNITIES, rows),
            "next_cursor": cursor}


@router.post("", status_code=201, summary="Create an opportunity by hand")
def create_opportunity(data: OpportunityIn, session: SessionDep, actor: ActorDep
                       ) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    row = opportunities.create(session, actor.company, data, actor=_actor(actor))
    return opportunities.describe(session, actor.company.id, row)


@router.get("/{ident}", summary="Read an opportunity")
def read_opportunity(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    row = opportunities.get(session, actor.company.id, ident)
    return opportunities.describe(session, actor.company.id, row)


@router.patch("/{ident}", summary="Change an opportunity (closing it closes its open lead)")
def update_opportunity(
    ident: str, data: OpportunityPatch, session: SessionDep, actor: ActorDep  # type: ignore[valid-type]
) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    row = opportunities.get(session, actor.company.id, ident)
    opportunities.update(session, actor.company, row, data, actor=_actor(actor))
    return opportunities.describe(session, actor.company.id, row)


@router.get("/by-external-id/{system}/{external_id}",
            summary="Read the opportunity a CRM knows by its id")
def read_by_external_id(system: str, external_id: str, session: SessionDep, actor: ActorDep
                        ) -> dict[str, Any]:
    require_read(actor)
    row = opportunities.by_external_id(session, actor.company.id, system, external_id)
    return opportunities.describe(session, actor.company.id, row)


@router.put(
    "/by-external-id/{system}/{external_id}",
    summary="Create or update the opportunity a CRM knows by its id",
    description="201 when created, 200 when updated. Fields sent are set, others kept; `id` "
    "links an id not seen before to an existing opportunity. An opportunity closed here as won "
    "or lost moves its open lead to won or lost.",
    responses={201: {"description": "Created"}},
)
def upsert_by_external_id(
    system: str, external_id: str, data: CrmOpportunityIn, response: Response,
    session: SessionDep, actor: ActorDep,
) -> dict[str, Any]:
    require_write(actor, RESOURCE)
    row, created = opportunities.upsert(session, actor.company, system, external_id, data)
    response.status_code = 201 if created else 200
    return opportunities.describe(session, actor.company.id, row)
