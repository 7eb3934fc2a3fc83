"""`leadflow report funnel|attribution`: the reports of the API, as Rich tables or JSON."""

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
from leadflow.domain.funnel import ATTRIBUTION_DIMENSIONS
from leadflow.services import reports
from leadflow.services.report_filters import ReportFilter
from leadflow.services.report_shapes import Outcome

app = typer.Typer(no_args_is_help=True)

CampaignOption = typer.Option(None, "--campaign", help="Only leads of this campaign (key).")
ProgramOption = typer.Option(None, "--program", help="Only leads of this program (key).")
OwnerOption = typer.Option(None, "--owner", help="Only leads owned by this user (email).")
FromOption = typer.Option(None, "--created-from",
                          help="Only leads created at or after this ISO date or time.")
ToOption = typer.Option(None, "--created-to",
                        help="Only leads created at or before this ISO time, or on this date.")


@app.command("funnel")
@friendly
def funnel(
    campaign: str | None = CampaignOption, program: str | None = ProgramOption,
    owner: str | None = OwnerOption, created_from: str | None = FromOption,
    created_to: str | None = ToOption, company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Leads per stage, conversion between consecutive stages, and time in stage."""
    wanted = ReportFilter(campaign, program, owner, created_from, created_to)
    with unit_of_work() as session:
        home = company(session, company_key)
        found = reports.funnel(session, home.id, wanted)
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    stages = Table("Stage", "Leads now", "Ever reached", title=f"Funnel of '{home.key}' "
                   f"({found.total} leads)", title_justify="left", box=box.SIMPLE_HEAD)
    for stage in found.stages:
        stages.add_row(stage.stage, str(stage.leads), str(stage.reached))
    console.print(stages)
    moves = Table("From", "To", "Reached from", "Reached to", "Conversion",
                  title="Conversion", title_justify="left", box=box.SIMPLE_HEAD)
    for move in found.conversions:
        moves.add_row(move.from_stage, move.to_stage, str(move.reached_from),
                      str(move.reached_to), _percent(move.rate))
    console.print(moves)
    times = Table("Stage", "Finished stays", "Avg hours", "Median hours", "In it now",
                  "Avg hours so far", title="Time in stage", title_justify="left",
                  box=box.SIMPLE_HEAD)
    for time in found.time_in_stage:
        times.add_row(time.stage, str(time.stays), _number(time.avg_hours),
                      _number(time.median_hours), str(time.current),
                      _number(time.current_avg_hours))
    console.print(times)


@app.command("attribution")
@friendly
def attribution(
    by: str = typer.Option("campaign", "--by",
                           help=f"Attribute leads by: {', '.join(ATTRIBUTION_DIMENSIONS)}."),
    campaign: str | None = CampaignOption, program: str | None = ProgramOption,
    owner: str | None = OwnerOption, created_from: str | None = FromOption,
    created_to: str | None = ToOption, company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Per campaign, landing page, event or email: leads, sales-ready, won and revenue."""
    wanted = ReportFilter(campaign, program, owner, created_from, created_to)
    with unit_of_work() as session:
        home = company(session, company_key)
        found = reports.attribution(session, home.id, by, wanted)
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    table = Table(title=f"Attribution of '{home.key}' by {by.replace('_', ' ')}",
                  title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(by.replace("_", " ").capitalize(), overflow="fold")
    for header in ("Leads", "Ready", "Won", "Lost", "Win %", "Influenced"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Revenue (won)", justify="right", no_wrap=True)
    for item in found.items:
        table.add_row(*_outcome_cells(Text(item.key or ""), item))
    table.add_section()
    table.add_row(*_outcome_cells(Text("(none)", style="dim"), found.unattributed))
    table.add_row(*_outcome_cells(Text("total", style="bold"), found.totals))
    console.print(table)


def _outcome_cells(label: Text, item: Outcome) -> list[Any]:
    money = "\n".join(f"{r.amount:,.2f} {r.currency or ''}".rstrip() for r in item.revenue)
    return [label, str(item.leads), str(item.sales_ready), str(item.won), str(item.lost),
            _percent(item.win_rate), "-" if item.influenced is None else str(item.influenced),
            Text(money or "-")]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"
