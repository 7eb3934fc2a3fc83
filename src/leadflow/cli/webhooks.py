"""`leadflow webhooks …`: list subscriptions (secrets masked), show a delivery log, redeliver a
message. Subscriptions themselves are made with `leadflow apply` or the REST API."""

from __future__ import annotations

from typing import Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from leadflow.cli.common import (
    CompanyOption,
    JsonOption,
    company,
    console,
    friendly,
    print_json,
    unit_of_work,
)
from leadflow.services.webhooks import log, subscriptions

app = typer.Typer(no_args_is_help=True)


@app.command("list")
@friendly
def list_command(company_key: str | None = CompanyOption, as_json: bool = JsonOption) -> None:
    """List the company's webhook subscriptions (never their secrets)."""
    with unit_of_work() as session:
        owner = company(session, company_key)
        found = [subscriptions.describe(r) for r in subscriptions.list_all(session, owner.id)]
    if as_json:
        print_json({"items": found})
        return
    if not found:
        console.print(f"'{owner.key}' has no webhook subscriptions.", highlight=False)
        return
    table = Table("Key", "URL", "Events", "Enabled", "Secret",
                  title=f"Webhooks of '{owner.key}'", box=box.SIMPLE_HEAD)
    for item in found:
        table.add_row(Text(item["key"]), Text(item["url"]), Text(", ".join(item["events"])),
                      "yes" if item["enabled"] else "no", Text(item["secret"]))
    console.print(table)


@app.command("deliveries")
@friendly
def deliveries_command(
    key: str = typer.Argument(..., metavar="KEY", help="The subscription's key (or id)."),
    status: list[str] = typer.Option(
        [], "--status", help="Only messages in this status: pending, delivered or dead."),
    limit: int = typer.Option(50, "--limit", help=f"Most messages to show (1-{log.MAX_LIMIT})."),
    cursor: str | None = typer.Option(None, "--cursor", help="Continue after a previous page."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a subscription's delivery log: messages newest first, with every try."""
    with unit_of_work() as session:
        owner = company(session, company_key)
        row = subscriptions.get(session, owner.id, key)
        items, next_cursor = log.deliveries(session, owner.id, row, status, cursor, limit)
    if as_json:
        print_json({"items": items, "next_cursor": next_cursor})
        return
    if not items:
        console.print(f"No messages for '{row.key}'.", highlight=False)
        return
    table = Table("ID", "Event", "Status", "Tries", "Last answer", "Next try",
                  title=f"Deliveries of '{row.key}' (--json shows messages and answers)",
                  box=box.SIMPLE_HEAD)
    for item in items:
        table.add_row(str(item["id"]), item["event_type"], item["status"],
                      str(item["attempts"]), Text(_last(item)), _when(item["next_attempt_at"]))
    console.print(table)
    if next_cursor:
        console.print(f"More messages follow: add --cursor {next_cursor}", highlight=False)


@app.command("redeliver")
@friendly
def redeliver_command(
    delivery_id: int = typer.Argument(..., metavar="ID", min=1, max=2**31 - 1,
                                      help="The message's id (see `webhooks deliveries`)."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Queue a delivered or dead message again; it keeps its webhook-id. The worker sends it."""
    with unit_of_work() as session:
        owner = company(session, company_key)
        row = log.get(session, owner.id, delivery_id)
        log.redeliver(session, owner.id, row)
        shown = log.show(session, owner.id, row)
    if as_json:
        print_json(shown)
        return
    console.print(f"Message {delivery_id} ({shown['event_type']}, {shown['message_id']}) is "
                  "queued again; `leadflow worker` sends it.", markup=False, highlight=False)


def _last(item: dict[str, Any]) -> str:
    if item["last_status_code"] is not None:
        return f"HTTP {item['last_status_code']}"
    return str(item["last_error"] or "")


def _when(iso: str | None) -> str:
    return iso[:19].replace("T", " ") if iso else ""
