"""The FastAPI application, wired to one database."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

import leadflow.bootstrap  # noqa: F401  (registers record checks and scoring triggers)
from leadflow import __version__
from leadflow.api import assignment as assignment_routes
from leadflow.api import companies, exports, imports, interactions, problems, records, scoring
from leadflow.api import lifecycle as lifecycle_routes
from leadflow.api import opportunities as opportunity_routes
from leadflow.api import reports as report_routes
from leadflow.api import webhooks as webhook_routes
from leadflow.api.deps import ActorDep
from leadflow.db.database import Database
from leadflow.integrations import forms, segment, sendgrid, tracking
from leadflow.services.ingestion.inputs import InteractionIn


def _document_schemas(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add body models that routes read by hand (to accept one item or a batch) to OpenAPI."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = base()
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(schema.pop("$defs", {}))
            components[model.__name__] = schema
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


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
    api.include_router(interactions.router)
    api.include_router(scoring.router)
    api.include_router(imports.router)
    api.include_router(exports.router)
    api.include_router(assignment_routes.router)
    api.include_router(report_routes.router)
    api.include_router(lifecycle_routes.router)
    api.include_router(opportunity_routes.router)
    api.include_router(webhook_routes.router)

    @api.get("/me", tags=["auth"], summary="Who this key is and which company it acts on")
    def me(actor: ActorDep) -> dict[str, Any]:
        return {"company": actor.company.key, "home_company": actor.home.key,
                "role": actor.role, "key_id": actor.key_id}

    app.include_router(api)
    for integration in (forms, tracking, segment, sendgrid):
        app.include_router(integration.router)

    _document_schemas(app, [InteractionIn])

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
