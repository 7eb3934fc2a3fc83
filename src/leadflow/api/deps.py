"""Request dependencies: the unit of work and the calling actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from leadflow.db.database import Database
from leadflow.domain.roles import may_read, may_write
from leadflow.errors import Forbidden, Unauthorized
from leadflow.services.keys import Actor, authenticate


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    database: Database = request.app.state.database
    with database.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_actor(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    x_company: Annotated[str | None, Header()] = None,
) -> Actor:
    """The caller, from `Authorization: Bearer <key>` and optional `X-Company`."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send an API key as `Authorization: Bearer <key>`")
    return authenticate(session, authorization[7:], x_company)


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_read(actor: Actor) -> None:
    if not may_read(actor.role):
        raise Forbidden(f"a key with role '{actor.role}' may not read records")


def require_write(actor: Actor, resource: str) -> None:
    if not may_write(actor.role, resource):
        raise Forbidden(f"a key with role '{actor.role}' may not change {resource}")
