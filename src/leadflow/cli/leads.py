"""`leadflow leads …`: list leads with filters, show one lead, and take life-cycle actions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer
from pydantic import ValidationError
from rich import box
from rich.table import Table
from rich.text import Text

from leadflow.cli.common import (
    CompanyOption,
    JsonOption,
    company,
    console,
    fail,
    friendly,
    print_json,
    unit_of_work,
)
from leadflow.domain.lifecycle import ACTIONS
from leadflow.errors import FieldError, ValidationFailed
from leadflow.opportunity_schemas import ActionIn
from leadflow.services import lifecycle, records
from leadflow.services.leads_view import LeadFilter, lead_detail, list_leads
from leadflow.services.records import MAX_LIMIT
from leadflow.services.resources import LEADS
from leadflow.services.scoring.explain import explain as explain_scores
from leadflow.services.timeline import timeline as lead_timeline

app = typer.Typer(no_args_is_help=True)

# Field → (header, minimum width); short fields never shrink so an 80-column terminal still
# shows them whole, while names and emails wrap.
LIST_COLUMNS = {"id": ("ID", 2), "name": ("Name", 0), "stage": ("Stage", 11),
                "status": ("Status", 0), "priority": ("Priority", 6), "owner": ("Owner", 0),
                "campaign": ("Campaign", 0), "sales_ready": ("Ready", 5)}
# Shown by natural key (contact_email, campaign…) in the human view; --json has both.
REFERENCE_IDS = {"contact_id", "account_id", "program_id", "campaign_id", "owner_id"}


@app.command("list")
@friendly
def list_command(
    stage: str | None = typer.Option(None, "--stage", help="Only leads in this stage."),
    owner: str | None = typer.Option(None, "--owner", help="Only leads owned by this user email."),
    campaign: str | None = typer.Option(None, "--campaign", help="Only leads of this campaign."),
    q: str | None = typer.Option(None, "--q", help="Search name, status and territory."),
    sort: str | None = typer.Option(
        None, "--sort", help="Sort by a field; prefix with '-' for descending, e.g. -created_at."
    ),
    limit: int = typer.Option(50, "--limit", help=f"Most leads to show (1-{MAX_LIMIT})."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after a previous page (its next_cursor)."
    ),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """List leads, filtered, searched and sorted; long lists continue with --cursor."""
    wanted = LeadFilter(stage=stage, owner=owner, campaign=campaign, q=q, sort=sort,
                        limit=limit, cursor=cursor)
    with unit_of_work() as session:
        home = company(session, company_key)
        items, next_cursor = list_leads(session, home.id, wanted)
    if as_json:
        print_json({"items": items, "next_cursor": next_cursor})
        return
    if not items:
        console.print(f"No leads of '{home.key}' match.", highlight=False)
        return
    console.print(_list_table(home.key, items))
    if next_cursor:
        console.print(f"More leads follow: add --cursor {next_cursor}", highlight=False)


@app.command("show")
@friendly
def show(
    lead_id: str = typer.Argument(..., metavar="ID", help="Id of the lead."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
    explain: bool = typer.Option(False, "--explain", help="Explain the lead's scores."),
    as_of: datetime | None = typer.Option(
        None, "--as-of", help="With --explain: score as of this ISO time (time travel)."),
) -> None:
    """Show every field of one lead, with its contact and account (and scores, explained)."""
    if as_of is not None and not explain:
        fail("--as-of goes with --explain")
    with unit_of_work() as session:
        home = company(session, company_key)
        detail = lead_detail(session, home.id, lead_id)
        explained = None
        if explain:
            lead = records.get(session, home.id, LEADS, lead_id)
            moment = as_of.replace(tzinfo=UTC) if as_of and as_of.tzinfo is None else as_of
            explained = explain_scores(session, home, lead, moment)
    if explained is not None and as_json:
        print_json(explained)
        return
    if as_json:
        print_json(detail)
        return
    if explained is not None:
        _print_explanation(explained)
        return
    contact, account = detail.pop("contact"), detail.pop("account")
    console.print(_fields(f"Lead {detail['id']}", detail))
    if contact is not None:
        console.print(_fields("Contact", contact))
    if account is not None:
        console.print(_fields("Account", account))


# Where the action body's fields come from on the command line, for error messages.
ACT_OPTIONS = {"reason": "--reason", "opportunity.name": "--opportunity-name",
               "opportunity.estimated_revenue": "--revenue", "opportunity.currency": "--currency",
               "opportunity.probability": "--probability",
               "opportunity.expected_close_date": "--close-date"}


@app.command("act")
@friendly
def act(
    lead_id: str = typer.Argument(..., metavar="ID", help="Id of the lead."),
    action: str = typer.Argument(..., metavar="ACTION", help=", ".join(ACTIONS) + "."),
    reason: str | None = typer.Option(
        None, "--reason", help="Why (required to reject, recycle and disqualify)."),
    opportunity_name: str | None = typer.Option(
        None, "--opportunity-name", help="convert: the opportunity's name (default: the lead's)."),
    revenue: float | None = typer.Option(None, "--revenue", help="convert: estimated revenue."),
    currency: str | None = typer.Option(None, "--currency", help="convert: ISO 4217, e.g. EUR."),
    probability: int | None = typer.Option(
        None, "--probability", help="convert: chance of winning, 0-100."),
    close_date: str | None = typer.Option(
        None, "--close-date", help="convert: expected close date, YYYY-MM-DD."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Take a life-cycle action on a lead: promote, accept, reject, recycle, qualify, convert,
    win, lose or disqualify."""
    details = {name: value for name, value in (
        ("name", opportunity_name), ("estimated_revenue", revenue), ("currency", currency),
        ("probability", probability), ("expected_close_date", close_date)) if value is not None}
    body = _action_body(reason, details)
    with unit_of_work() as session:
        home = company(session, company_key)
        lead = records.get(session, home.id, LEADS, lead_id)
        outcome = lifecycle.act(session, home, lead, action, "cli", reason=body.reason,
                                opportunity=body.opportunity)
        answer = lifecycle.describe(session, home, outcome)
    if as_json:
        print_json(answer)
        return
    change, made = answer["stage_change"], answer["opportunity"]
    console.print(f"Lead {lead_id}: {change['from_stage']} -> {change['to_stage']}"
                  f" ({change['action']})", markup=False, highlight=False)
    if answer["lead"]["stage"] != change["to_stage"]:
        console.print(f"Its score still reaches the sales-ready threshold: it is"
                      f" {answer['lead']['stage']} again.", markup=False, highlight=False)
    if made is not None:
        console.print(f"Opportunity {made['id']} '{made['name']}': {made['status']}",
                      markup=False, highlight=False)


def _action_body(reason: str | None, details: dict[str, Any]) -> ActionIn:
    try:
        return ActionIn.model_validate({"reason": reason, "opportunity": details or None})
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = ".".join(str(p) for p in item["loc"])
            message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(FieldError(ACT_OPTIONS.get(loc, loc), message))
        raise ValidationFailed("Invalid action", errors=problems) from error


def _print_explanation(explained: dict[str, Any]) -> None:
    """Per model: score, grade and threshold; per rule: fires, points, contribution."""
    console.print(f"Lead {explained['lead_id']} as of {explained['as_of']}", markup=False)
    if not explained["models"]:
        console.print(f"No score: {explained['reason']}", markup=False)
    for model in explained["models"]:
        ready = model["sales_ready_score"]
        title = (f"{model['model']} v{model['version']}: score {model['score']}, grade "
                 f"{model['grade'] or '-'}" + (f", sales-ready at {ready}" if ready else ""))
        table = Table("Rule", "Points", "Fires", "Contribution", "Matched interactions",
                      title=title, title_justify="left", box=box.SIMPLE_HEAD)
        for rule in model["rules"]:
            ids = [i for c in rule["conditions"] for i in c["matched_interaction_ids"]]
            table.add_row(Text(rule["name"]), str(rule["points"]), str(rule["fires"]),
                          str(rule["contribution"]), ", ".join(map(str, ids[:10])))
        if model["adjustment"]:
            table.add_row("manual adjustments", "", "", str(model["adjustment"]), "")
        console.print(table)


@app.command("timeline")
@friendly
def timeline(
    lead_id: str = typer.Argument(..., metavar="ID", help="Id of the lead."),
    limit: int = typer.Option(50, "--limit", help=f"Most entries to show (1-{MAX_LIMIT})."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue with older entries (a previous next_cursor)."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Everything that happened to a lead, newest first: interactions, score changes, stage
    changes, assignments, events and opportunities."""
    with unit_of_work() as session:
        home = company(session, company_key)
        found = lead_timeline(session, home.id, lead_id, limit=limit, cursor=cursor)
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    table = Table("When (UTC)", "Kind", "What", title=f"Timeline of lead {found.lead_id}",
                  title_justify="left", box=box.SIMPLE_HEAD)
    for item in found.items:
        table.add_row(item.at.strftime("%Y-%m-%d %H:%M"), item.kind, Text(item.summary))
    console.print(table)
    if found.next_cursor:
        console.print(f"Older entries follow: add --cursor {found.next_cursor}", highlight=False)


def _list_table(company_key: str, items: list[dict[str, Any]]) -> Table:
    table = Table(title=f"Leads of '{company_key}'", box=box.SIMPLE_HEAD)
    for header, width in LIST_COLUMNS.values():
        table.add_column(header, min_width=width or None, no_wrap=bool(width))
    for item in items:
        table.add_row(*(_cell(c, item.get(c)) for c in LIST_COLUMNS))
    return table


def _fields(title: str, data: dict[str, Any]) -> Table:
    """A two-column field/value table; custom fields appear as custom.<key>."""
    table = Table(show_header=False, title=title, title_justify="left", box=None)
    table.add_column(style="bold")
    table.add_column()
    for name, value in data.items():
        if name in REFERENCE_IDS or (name.endswith("_id") and value is None):
            continue
        if name == "custom":
            for key, custom in sorted((value or {}).items()):
                table.add_row(f"custom.{key}", _cell(key, custom))
        else:
            table.add_row(name, _cell(name, value))
    return table


def _cell(name: str, value: Any) -> Text:
    """A value as plain text: lead data may contain brackets that are not Rich markup."""
    if value is None:
        return Text("-")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if name.endswith("_at"):
        return Text(str(value)[:16].replace("T", " "))
    return Text(str(value))
