"""`init`, `migrate` and `serve`."""

from __future__ import annotations

import typer

from leadflow.cli.common import JsonOption, console, database, friendly, print_json
from leadflow.config import Settings
from leadflow.services import companies, keys


@friendly
def init(
    site_key: str = typer.Option("site", help="Key of the site company."),
    site_name: str = typer.Option("Site company", help="Name of the site company."),
    as_json: bool = JsonOption,
) -> None:
    """Create the database schema, the site company and an admin API key (printed once)."""
    db = database()
    db.migrate()
    with db.transaction() as session:
        existed = companies.require_site(session) if _has_site(session) else None
        site = existed or companies.ensure_site(session, site_key, site_name)
        _, secret = keys.create_key(session, site, name="admin (init)", role="admin")
    if as_json:
        print_json({"company": site.key, "key": secret})
        return
    if existed:
        console.print(f"Database already initialised; site company is '{site.key}'.")
    else:
        console.print(f"Created site company '{site.key}'.")
    console.print("Admin API key (shown only now, keep it safe):")
    console.print(f"  [bold]{secret}[/bold]", highlight=False)


def _has_site(session: object) -> bool:
    from leadflow.db.companies import site_company

    return site_company(session) is not None  # type: ignore[arg-type]


@friendly
def migrate(revision: str = typer.Argument("head", help="Alembic revision.")) -> None:
    """Bring the database schema up to date."""
    database().migrate(revision)
    console.print("Database schema is up to date.")


@friendly
def serve(
    host: str | None = typer.Option(None, help="Address to listen on."),
    port: int | None = typer.Option(None, help="Port to listen on."),
) -> None:
    """Serve the REST API (and, later, the web UI)."""
    import uvicorn

    from leadflow.api.app import create_app

    settings = Settings()
    db = database()
    db.migrate()
    uvicorn.run(create_app(db), host=host or settings.host, port=port or settings.port,
                log_level=settings.log_level)
