"""REST routes for companies and their settings."""

from typing import Any

from fastapi import APIRouter, Response

from leadflow.api.deps import ActorDep, SessionDep, require_read
from leadflow.db import companies as repo
from leadflow.domain.settings import effective_settings
from leadflow.errors import Forbidden, NotFound
from leadflow.schemas import CompanyIn, Input, Name
from leadflow.services import companies
from leadflow.services.keys import Actor

router = APIRouter(prefix="/companies", tags=["companies"])


class CompanyPatch(Input):
    name: Name | None = None
    settings: dict[str, Any] | None = None


def _visible(session: SessionDep, actor: Actor, ident: str) -> Any:
    company = companies.find(session, ident)
    if company.id not in {c.id for c in repo.companies_visible_to(session, actor.home)}:
        raise NotFound(f"no company '{ident}'")
    if actor.home.id != company.id and not actor.site_admin:
        raise NotFound(f"no company '{ident}'")
    return company


def _require_admin_of(actor: Actor, company: Any) -> None:
    if actor.role != "admin" or (actor.home.id != company.id and not actor.site_admin):
        raise Forbidden("only an admin of this company (or of the site company) may change it")


@router.get("", summary="List the companies this key may see")
def list_companies(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    visible = repo.companies_visible_to(session, actor.home) if actor.site_admin else [actor.home]
    return {"items": [companies.describe(c) for c in visible], "next_cursor": None}


@router.post("", status_code=201, summary="Create a client company (site admins)")
def create_company(data: CompanyIn, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    if not actor.site_admin:
        raise Forbidden("only an admin of the site company may create companies")
    return companies.describe(companies.create_client(session, actor.home, data))


@router.get("/{ident}", summary="Read a company")
def read_company(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    return companies.describe(_visible(session, actor, ident))


@router.patch("/{ident}", summary="Rename a company or change its settings")
def update_company(
    ident: str, data: CompanyPatch, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    company = _visible(session, actor, ident)
    _require_admin_of(actor, company)
    if data.settings is not None:
        companies.change_settings(company, data.settings)
    if data.name is not None:
        companies.rename(company, data.name)
    return companies.describe(company)


@router.get("/{ident}/settings", summary="A company's effective settings")
def read_settings(ident: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    return effective_settings(_visible(session, actor, ident).settings)


@router.patch("/{ident}/settings", summary="Change some of a company's settings")
def update_settings(
    ident: str, changes: dict[str, Any], session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    company = _visible(session, actor, ident)
    _require_admin_of(actor, company)
    return companies.change_settings(company, changes)


@router.delete("/{ident}", status_code=204, summary="Delete a client company (site admins)")
def delete_company(ident: str, session: SessionDep, actor: ActorDep) -> Response:
    company = _visible(session, actor, ident)
    if not actor.site_admin:
        raise Forbidden("only an admin of the site company may delete companies")
    companies.delete_client(session, company)
    return Response(status_code=204)
