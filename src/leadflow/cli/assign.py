"""`leadflow assign [LEAD_ID] [--all] [--dry-run]`: run the assignment rules on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich import box
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from leadflow.cli.common import (
    CompanyOption,
    JsonOption,
    company,
    console,
    errors,
    fail,
    friendly,
    print_json,
    unit_of_work,
)
from leadflow.services.assignment import ondemand

PROGRESS_FROM = 200  # leads; fewer finish before a bar is worth drawing


@friendly
def assign(
    lead_id: int | None = typer.Argument(None, metavar="[LEAD_ID]", help="Id of one lead."),
    all_leads: bool = typer.Option(False, "--all", help="Every lead (without an owner, unless"
                                   " --reassign)."),
    stage: str | None = typer.Option(None, "--stage", help="Leads in this stage."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would change; write "
                                 "nothing (the round robin does not move either)."),
    reassign: bool = typer.Option(False, "--reassign", help="Also leads that have an owner."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the assignment rules over one lead, the leads of a stage, or all leads."""
    if sum((lead_id is not None, all_leads, stage is not None)) != 1:
        fail("say which leads: give one LEAD_ID, --all or --stage STAGE")
    with unit_of_work() as session:
        home = company(session, company_key)
        ids = ondemand.select_leads(
            session, home.id, lead_id=lead_id, everything=all_leads,
            filters={"stage": stage} if stage is not None else None,
            only_unassigned=not reassign)
        with _progress(as_json or len(ids) < PROGRESS_FROM, len(ids)) as progress:
            report = ondemand.run(session, home, ids, dry_run=dry_run,
                                  only_unassigned=not reassign, progress=progress)
    if as_json:
        print_json(report.as_dict())
        return
    _show(report)


@contextmanager
def _progress(quiet: bool, total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal's stderr; nothing for JSON, few leads or redirection."""
    if quiet or not errors.is_terminal:
        yield None
        return
    columns = (TextColumn("assigning"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("assign", total=total)
        yield lambda done: bar.advance(task, done)


def _show(report: ondemand.Report) -> None:
    changes = report.changes
    if changes:
        table = Table("Lead", "Name", "Rule", "Result", "Owner", "Set", box=box.SIMPLE_HEAD)
        for item in changes:
            old, new = item.owner.get("old"), item.owner.get("new")
            owner = (new or "-") if old == new else f"{old or '-'} → {new or '-'}"
            fields = ", ".join(f"{name}: {change['old'] or '-'} → {change['new']}"
                               for name, change in item.changes.items())
            result = item.result if not item.reason else f"{item.result} ({item.reason})"
            table.add_row(str(item.lead_id), item.lead, item.rule or "", result, owner, fields)
        console.print(table)
    counts = ", ".join(f"{count} {name.replace('_', ' ')}"
                       for name, count in report.counts.items() if count)
    verb = "Would change (dry run, nothing was written)" if report.dry_run else "Changed"
    console.print(f"{verb}: {len(changes)} of {report.leads} leads"
                  + (f" ({counts})" if counts else "") + ".", highlight=False, markup=False)
    for note in report.notes:
        errors.print(f"note: {note}", highlight=False, markup=False)
