"""The `leadflow` command: every sub-command registered in one place."""

from __future__ import annotations

import typer

from leadflow.cli import setup

app = typer.Typer(
    name="leadflow",
    help="Lead management and lead scoring. Reads LEADFLOW_DATABASE_URL "
    "(default sqlite:///leadflow.db).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(setup.init)
app.command()(setup.migrate)
app.command()(setup.serve)

if __name__ == "__main__":  # pragma: no cover
    app()
