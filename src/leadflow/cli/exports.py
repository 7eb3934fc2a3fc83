"""`leadflow export leads`: leads with a score and grade per model, as CSV, JSON or Parquet."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from leadflow.cli.common import CompanyOption, company, database, errors, fail, friendly
from leadflow.services import exports
from leadflow.services.exports import LeadExport

app = typer.Typer(no_args_is_help=True)


class Format(StrEnum):
    csv = "csv"
    json = "json"
    parquet = "parquet"


@app.command("leads")
@friendly
def export_leads(
    format: Format = typer.Option(Format.csv, "--format", help="csv, json or parquet."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (default: stdout; parquet needs a file)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Compute scores (and sales_ready) as of this ISO date or time "
        "instead of reading the stored ones."
    ),
    company_key: str | None = CompanyOption,
) -> None:
    """Export every lead with its scores and grades, streamed (memory stays flat)."""
    when = exports.parse_as_of(as_of) if as_of else None
    if format is Format.parquet and output is None:
        fail("--format parquet writes a binary file; name it with --output FILE")
    db = database()
    try:
        with db.transaction() as session:
            company_id = company(session, company_key).id
        export = LeadExport(db, company_id, when)
        if output is None:
            for piece in exports.text(export, format.value):
                sys.stdout.write(piece)
        else:
            _to_file(export, format, output)
    finally:
        db.dispose()


def _to_file(export: LeadExport, format: Format, output: Path) -> None:
    """Write beside `output` and rename at the end, so a failed export leaves no half file."""
    partial = output.with_name(output.name + ".part")
    try:
        with _counter() as count:
            if format is Format.parquet:
                exports.write_parquet(export, partial, count)
            else:
                with partial.open("w", encoding="utf-8", newline="") as handle:
                    for piece in exports.text(export, format.value):
                        handle.write(piece)
                        count(export.done)
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"cannot write {output}: {error.strerror or error}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    errors.print(f"Exported {export.done} leads to {output}.", highlight=False, markup=False)


@contextmanager
def _counter() -> Iterator[Callable[[int], None]]:
    """A live count of exported leads on a terminal's stderr (nothing when redirected)."""
    if not errors.is_terminal:
        yield lambda done: None
        return
    columns = (SpinnerColumn(), TextColumn("exported {task.completed} leads"))
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("export", total=None)
        yield lambda done: bar.update(task, completed=done)
