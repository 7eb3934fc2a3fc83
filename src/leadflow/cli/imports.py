"""`leadflow import {contacts|accounts|leads|interactions} FILE`: CSV import (docs/import.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

import leadflow.services.record_rules  # noqa: F401  (registers the per-record checks)
from leadflow.cli.common import (
    CompanyOption,
    JsonOption,
    company,
    console,
    database,
    errors,
    fail,
    friendly,
    print_json,
)
from leadflow.services.imports import ErrorReport, ImportOptions, Summary, run_import
from leadflow.services.imports.report import OUTCOMES
from leadflow.services.imports.runner import units

app = typer.Typer(no_args_is_help=True)


class OnDuplicate(StrEnum):
    update = "update"
    skip = "skip"


FileArgument = typer.Argument(..., help="The CSV file (UTF-8; `,` `;` or tab separated).")
MappingOption = typer.Option(
    None, "--mapping", help='YAML/JSON file of {"CSV header": "field"} pairs.'
)
DuplicateOption = typer.Option(
    OnDuplicate.update, "--on-duplicate", help="Update records that already exist, or skip them."
)
DryRunOption = typer.Option(False, "--dry-run", help="Validate and count; write nothing.")
ErrorsOption = typer.Option(
    None, "--errors", help="Where to write the error report (default: FILE.errors.csv, only"
    " when some rows fail).",
)


@app.command("contacts")
@friendly
def import_contacts(
    file: Path = FileArgument, mapping: Path | None = MappingOption,
    on_duplicate: OnDuplicate = DuplicateOption, dry_run: bool = DryRunOption,
    company_key: str | None = CompanyOption, as_json: bool = JsonOption,
    errors_path: Path | None = ErrorsOption,
) -> None:
    """Import contacts: matched by email, then external_id."""
    _import("contacts", file, mapping, on_duplicate, dry_run, company_key, as_json, errors_path)


@app.command("accounts")
@friendly
def import_accounts(
    file: Path = FileArgument, mapping: Path | None = MappingOption,
    on_duplicate: OnDuplicate = DuplicateOption, dry_run: bool = DryRunOption,
    company_key: str | None = CompanyOption, as_json: bool = JsonOption,
    errors_path: Path | None = ErrorsOption,
) -> None:
    """Import accounts: matched by domain, then name, then external_id."""
    _import("accounts", file, mapping, on_duplicate, dry_run, company_key, as_json, errors_path)


@app.command("leads")
@friendly
def import_leads(
    file: Path = FileArgument, mapping: Path | None = MappingOption,
    on_duplicate: OnDuplicate = DuplicateOption, dry_run: bool = DryRunOption,
    company_key: str | None = CompanyOption, as_json: bool = JsonOption,
    errors_path: Path | None = ErrorsOption,
) -> None:
    """Import leads: matched by external_id, else by an open lead of the same target and context."""
    _import("leads", file, mapping, on_duplicate, dry_run, company_key, as_json, errors_path)


@app.command("interactions")
@friendly
def import_interactions(
    file: Path = FileArgument, mapping: Path | None = MappingOption,
    on_duplicate: OnDuplicate = DuplicateOption, dry_run: bool = DryRunOption,
    company_key: str | None = CompanyOption, as_json: bool = JsonOption,
    errors_path: Path | None = ErrorsOption,
) -> None:
    """Import interactions in occurred_at order, as if they had arrived live (leads included)."""
    _import("interactions", file, mapping, on_duplicate, dry_run, company_key, as_json,
            errors_path)


def _import(
    kind: str, file: Path, mapping: Path | None, on_duplicate: OnDuplicate, dry_run: bool,
    company_key: str | None, as_json: bool, errors_path: Path | None,
) -> None:
    options = ImportOptions(kind, file, mapping, on_duplicate is OnDuplicate.update, dry_run)
    report_path = errors_path or Path(f"{file}.errors.csv")
    if report_path.resolve() in {file.resolve(), *([mapping.resolve()] if mapping else [])}:
        fail("the error report would overwrite the input file; choose another --errors path")
    db = database()
    try:
        with db.transaction() as session:
            company_id = company(session, company_key).id
        report = ErrorReport(report_path, always=errors_path is not None)
        try:
            with units(db, dry_run) as unit_of_work, _progress(as_json) as progress:
                summary = run_import(unit_of_work, company_id, options, report.write, progress)
        finally:
            report.close()
    finally:
        db.dispose()
    summary.errors_file = str(report.path) if report.opened else None
    _show(summary, as_json)
    if summary.fatal:
        fail(summary.fatal)


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal's stderr; nothing when output is JSON or redirected."""
    if quiet or not errors.is_terminal:
        yield None
        return
    columns = (TextColumn("importing"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("import", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _show(summary: Summary, as_json: bool) -> None:
    if as_json:
        print_json(summary.as_dict())
        return
    verb = "Checked (dry run, nothing was written)" if summary.dry_run else "Imported"
    lines = [f"{verb} {summary.kind} from {summary.file}: {summary.rows} rows.",
             "  " + ", ".join(f"{summary.counts[o]} {o}" for o in OUTCOMES)]
    lines += [f"  also created {count} {kind}" for kind, count in summary.also_created.items()]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    for warning in summary.warnings:
        errors.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False,
                     soft_wrap=True)
    if summary.failed:
        where = f"; see {summary.errors_file}" if summary.errors_file else ""
        errors.print(f"[yellow]warning: {summary.failed} row(s) failed{escape(where)}[/yellow]",
                     highlight=False, soft_wrap=True)
