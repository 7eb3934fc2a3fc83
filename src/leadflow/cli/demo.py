"""`leadflow demo`: load the demo world, print how to sign in, and serve it."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.engine import make_url

from leadflow.cli import setup
from leadflow.cli.common import JsonOption, console, database, friendly, print_json
from leadflow.config import Settings
from leadflow.services import demo as demo_world
from leadflow.services import keys


@friendly
def demo(
    reset: bool = typer.Option(
        False, "--reset", help="Delete the SQLite database file first and load a fresh world."
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Load and print, but do not serve."),
    host: str | None = typer.Option(None, help="Address to listen on."),
    port: int | None = typer.Option(None, help="Port to listen on."),
    seed: int = typer.Option(demo_world.DEFAULT_SEED, help="Seed of the generated world."),
    as_json: bool = JsonOption,
) -> None:
    """Load a realistic demo world into the database (if not there yet) and serve it."""
    settings = Settings()
    if reset:
        removed = demo_world.reset_sqlite(settings.database_url)
        if removed is not None and not as_json:
            console.print(f"Deleted {removed}.", highlight=False)
    db = database()
    try:
        db.migrate()
        with db.transaction() as session:
            world = demo_world.load_demo(session, seed=seed)
            _, secret = keys.create_key(session, world.site, name="admin (demo)", role="admin")
    finally:
        db.dispose()
    host = host or settings.host
    port = port or settings.port
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    info = {
        "loaded": world.loaded, "seed": seed,
        "database": make_url(db.url).render_as_string(hide_password=True),
        "api": f"{base}/api/v1", "docs": f"{base}/docs", "key": secret,
        "company": world.site.key, "client": world.client.key, "counts": world.counts,
        "hot_lead": world.hot_lead,
    }
    if as_json:
        print_json(info)
    else:
        _print_instructions(info, {world.site.key: world.site.name,
                                   world.client.key: world.client.name})
    if not no_serve:
        setup.serve(host=host, port=port)


def _print_instructions(info: dict[str, Any], names: dict[str, str]) -> None:
    """What is loaded and how to sign in, with commands that can be pasted as they are."""
    echo = typer.echo
    if info["loaded"]:
        echo(f"Loaded the demo world (seed {info['seed']}) into {info['database']}:")
    else:
        echo(f"The demo world is already in {info['database']} (`leadflow demo --reset` starts"
             " over):")
    for key, counts in info["counts"].items():
        echo(f"  {names[key]} ({key}): {counts['accounts']} accounts, {counts['contacts']}"
             f" contacts, {counts['leads']} leads, {counts['campaigns']} campaigns,"
             f" {counts['users']} users,")
        echo(f"    {counts['interactions']} interactions in the last 30 days,"
             f" {counts['scoring_models']} scoring models")
    auth = f'-H "Authorization: Bearer {info["key"]}"'
    echo("")
    echo(f"API:   {info['api']}")
    echo(f"Docs:  {info['docs']}")
    echo(f"Key:   {info['key']}")
    echo(f"       (a new admin API key of '{info['company']}', the site company; shown only now)")
    echo("")
    echo("The site company's own leads:")
    echo(f"  curl {auth} {info['api']}/leads")
    echo(f"Act on the client company '{info['client']}' with X-Company:")
    echo(f'  curl {auth} -H "X-Company: {info["client"]}" {info["api"]}/leads')
    echo(f'  curl {auth} -H "X-Company: {info["client"]}"'
         f' "{info["api"]}/leads?stage=sales_ready&sort=-created_at&limit=5"')
    if info["hot_lead"] is not None:
        echo("Why a lead has its scores (docs/scoring.md explains them):")
        echo(f'  curl {auth} -H "X-Company: {info["client"]}"'
             f' {info["api"]}/leads/{info["hot_lead"]}/scores')
        echo(f"  leadflow model list --company {info['client']}")
    echo("")
