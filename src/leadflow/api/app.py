"""The FastAPI application, wired to one database."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from leadflow import __version__
from leadflow.api import companies, problems, records
from leadflow.api.deps import ActorDep
from leadflow.db.database import Database
from leadflow.services import record_rules  # noqa: F401  (registers record checks)


def create_app(database: Database) -> FastAPI:
    """Build the HTTP application over `database`."""
    app = FastAPI(
        title="leadflow",
        version=__version__,
        description="Lead management and lead scoring. Authenticate with "
        "`Authorization: Bearer <API key>`; site admins may add `X-Company: <key>`.",
    )
    app.state.database = database
    problems.install(app)
    api = APIRouter(prefix="/api/v1")
    api.include_router(companies.router)
    for router in records.routers():
        api.include_router(router)

    @api.get("/me", tags=["auth"], summary="Who this key is and which company it acts on")
    def me(actor: ActorDep) -> dict[str, Any]:
        return {"company": actor.company.key, "home_company": actor.home.key,
                "role": actor.role, "key_id": actor.key_id}

    app.include_router(api)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
