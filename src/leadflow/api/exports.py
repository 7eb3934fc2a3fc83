"""REST route for exports: every lead with its scores and grades, streamed as CSV or JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from leadflow.api.deps import get_actor, require_read
from leadflow.db.database import Database
from leadflow.services import exports
from leadflow.services.keys import Actor

router = APIRouter(prefix="/exports", tags=["exports"])
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def streaming_actor(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_company: Annotated[str | None, Header()] = None,
) -> Actor:
    """The caller, found in a transaction of its own: a streamed response reads in short
    transactions while it is sent, and the request's own would hold SQLite's write lock."""
    database: Database = request.app.state.database
    with database.transaction() as session:
        return get_actor(session, authorization, x_company)


StreamingActor = Annotated[Actor, Depends(streaming_actor)]


@router.get("/leads", summary="Export leads with a score and grade per model (streamed)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def export_leads(
    request: Request, actor: StreamingActor,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",
    as_of: Annotated[datetime | None, Query(
        description="Compute scores (and sales_ready) as of this time instead of reading the "
        "stored ones.")] = None,
) -> StreamingResponse:
    require_read(actor)
    when = None
    if as_of is not None:
        when = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    export = exports.LeadExport(request.app.state.database, actor.company.id, when)
    name = f"leads.{format}"
    return StreamingResponse(exports.text(export, format), media_type=MEDIA[format],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
