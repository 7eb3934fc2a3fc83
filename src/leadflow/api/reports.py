"""REST routes of the reports (funnel, attribution) and of a lead's timeline. Any role that
may read records (every role but `ingest`) may read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leadflow.api.deps import ActorDep, SessionDep, require_read
from leadflow.services import reports, timeline
from leadflow.services.records import MAX_LIMIT
from leadflow.services.report_filters import ReportFilter
from leadflow.services.report_shapes import Attribution, Dimension, Funnel
from leadflow.services.timeline import Timeline

router = APIRouter()

Campaign = Annotated[str | None, Query(description="Only leads of this campaign (id or key).")]
Program = Annotated[str | None, Query(description="Only leads of this program (id or key).")]
Owner = Annotated[str | None, Query(description="Only leads owned by this user (id or email).")]
CreatedFrom = Annotated[str | None, Query(
    description="Only leads created at or after this ISO date or time (UTC if no zone).")]
CreatedTo = Annotated[str | None, Query(
    description="Only leads created at or before this ISO time, or on or before this date.")]


@router.get("/reports/funnel", tags=["reports"], response_model=Funnel,
            summary="Leads per stage, conversion between stages, time in stage")
def funnel(session: SessionDep, actor: ActorDep, campaign: Campaign = None,
           program: Program = None, owner: Owner = None, created_from: CreatedFrom = None,
           created_to: CreatedTo = None) -> Funnel:
    require_read(actor)
    wanted = ReportFilter(campaign, program, owner, created_from, created_to)
    return reports.funnel(session, actor.company.id, wanted)


@router.get("/reports/attribution", tags=["reports"], response_model=Attribution,
            summary="Per campaign, landing page, event or email: leads, sales-ready, won, "
            "revenue")
def attribution(session: SessionDep, actor: ActorDep,
                by: Annotated[Dimension, Query(description="What leads are attributed to: "
                                               "their campaign or their origin.")] = "campaign",
                campaign: Campaign = None, program: Program = None, owner: Owner = None,
                created_from: CreatedFrom = None, created_to: CreatedTo = None) -> Attribution:
    require_read(actor)
    wanted = ReportFilter(campaign, program, owner, created_from, created_to)
    return reports.attribution(session, actor.company.id, by, wanted)


@router.get("/leads/{ident}/timeline", tags=["leads"], response_model=Timeline,
            summary="Everything that happened to the lead, newest first")
def lead_timeline(ident: str, session: SessionDep, actor: ActorDep,
                  limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
                  cursor: str | None = None) -> Timeline:
    require_read(actor)
    return timeline.timeline(session, actor.company.id, ident, limit=limit, cursor=cursor)
