"""The `leadflow` command: every sub-command registered in one place."""

from __future__ import annotations

import typer

from leadflow.cli import companies, config, demo, exports, imports, keys, leads, models, setup
from leadflow.cli import reports as report_commands
from leadflow.cli import webhooks as webhook_commands
from leadflow.cli.assign import assign as assign_command

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
app.command()(demo.demo)
app.command()(config.apply)
app.command()(config.dump)
app.command()(models.rescore)
app.command()(models.worker)
app.command("assign")(assign_command)
app.add_typer(models.app, name="model", help="Scoring models: validate, show, apply, publish.")
app.add_typer(companies.app, name="company", help="Create companies and change their settings.")
app.add_typer(keys.app, name="keys", help="Create, list and revoke API keys.")
app.add_typer(leads.app, name="leads",
              help="List and show leads, act on them, and read their timeline.")
app.add_typer(imports.app, name="import", help="Import contacts, accounts, leads or interactions.")
app.add_typer(exports.app, name="export", help="Export leads with their scores and grades.")
app.add_typer(webhook_commands.app, name="webhooks",
              help="Webhook subscriptions, their delivery log, and redelivery.")
app.add_typer(report_commands.app, name="report",
              help="Reports: the funnel, and attribution per initiative.")

if __name__ == "__main__":  # pragma: no cover
    app()
