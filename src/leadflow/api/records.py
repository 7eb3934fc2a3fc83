"""REST routes for every company record type, generated from services/resources.py."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.

from typing import Any

from fastapi import APIRouter, Request, Response

from leadflow.api.deps import ActorDep, SessionDep, require_read, require_write
from leadflow.schemas import partial
from leadflow.services import records
from leadflow.services.resources import ALL, Resource

DEFAULTS: dict[str, dict[str, Any]] = {"leads": {"source": "api"}}


def router_for(resource: Resource) -> APIRouter:
    """List, create, read, update and delete routes for one record type."""
    router = APIRouter(prefix=f"/{resource.path}", tags=[resource.path])
    create_schema = resource.schema
    patch_schema = partial(resource.schema)

    @router.get("", summary=f"List {resource.path}")
    def list_records(request: Request, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
        require_read(actor)
        params = {k: request.query_params.getlist(k) for k in request.query_params}
        rows, cursor = records.list_page(session, actor.company.id, resource, params)
        items = records.serialize(session, actor.company.id, resource, rows)
        return {"items": items, "next_cursor": cursor}

    @router.post("", status_code=201, summary=f"Create a {resource.label}")
    def create_record(
        data: create_schema, session: SessionDep, actor: ActorDep  # type: ignore[valid-type]
    ) -> dict[str, Any]:
        require_write(actor, resource.path)
        row = records.create(session, actor.company.id, resource, data,
                             defaults=DEFAULTS.get(resource.path))
        return records.serialize_one(session, actor.company.id, resource, row)

    @router.get("/{ident}", summary=f"Read a {resource.label}")
    def read_record(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
        require_read(actor)
        row = records.get(session, actor.company.id, resource, ident)
        return records.serialize_one(session, actor.company.id, resource, row)

    @router.patch("/{ident}", summary=f"Change a {resource.label}")
    def update_record(
        ident: str, data: patch_schema, session: SessionDep, actor: ActorDep  # type: ignore[valid-type]
    ) -> dict[str, Any]:
        require_write(actor, resource.path)
        row = records.get(session, actor.company.id, resource, ident)
        records.update(session, actor.company.id, resource, row, data)
        return records.serialize_one(session, actor.company.id, resource, row)

    @router.delete("/{ident}", status_code=204, summary=f"Delete a {resource.label}")
    def delete_record(ident: str, session: SessionDep, actor: ActorDep) -> Response:
        require_write(actor, resource.path)
        row = records.get(session, actor.company.id, resource, ident)
        records.delete(session, actor.company.id, resource, row)
        return Response(status_code=204)

    return router


def routers() -> list[APIRouter]:
    return [router_for(resource) for resource in ALL]
