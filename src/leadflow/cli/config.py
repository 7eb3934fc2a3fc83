"""`leadflow apply` and `leadflow dump`: configuration as code (SPEC §6.5)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape

from leadflow.cli.common import (
    CompanyOption,
    JsonOption,
    company,
    database,
    errors,
    friendly,
    print_json,
    unit_of_work,
)
from leadflow.errors import ValidationFailed
from leadflow.services import config_as_code
from leadflow.services.config_plan import Plan


class _RollBack(Exception):
    """Raised inside the transaction of a dry run so that nothing it wrote is kept."""


@friendly
def apply(
    file: Path = typer.Argument(..., help="Configuration file (YAML or JSON; `-` for stdin)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Create or update a company's configuration from a YAML or JSON file."""
    text = _read(file)
    db = database()
    try:
        document = config_as_code.parse(text, "stdin" if str(file) == "-" else file.name)
        with db.transaction() as session:
            plan = config_as_code.apply(session, document, company_key=company_key,
                                        dry_run=dry_run)
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    except ValidationFailed as error:
        _report(error, as_json)
    finally:
        db.dispose()
    _print_plan(plan, as_json)


@friendly
def dump(
    company_key: str | None = CompanyOption,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE, not stdout."),
) -> None:
    """Write a company's configuration as YAML, in the shape `leadflow apply` reads."""
    with unit_of_work() as session:
        text = config_as_code.dump_yaml(session, company(session, company_key))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _read(file: Path) -> str:
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{file} is not UTF-8 text") from None
    except IsADirectoryError:
        raise ValidationFailed(f"{file} is a directory, not a file") from None


def _report(error: ValidationFailed, as_json: bool) -> None:
    """Every problem on its own line (or the problem document as JSON), then exit 1."""
    if as_json:
        sys.stderr.write(json.dumps(error.problem(), indent=2) + "\n")
        raise typer.Exit(1)
    errors.print(f"[red]error:[/red] {escape(error.detail)}", highlight=False, soft_wrap=True)
    for problem in error.errors:
        where = f"{problem.loc}: " if problem.loc else ""
        errors.print(f"  {escape(where + problem.message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _print_plan(plan: Plan, as_json: bool) -> None:
    if as_json:
        print_json(plan.as_dict())
        return
    for change in plan.changes:
        typer.echo(change.describe())
    for note in plan.notes:
        typer.echo(note)
    counts = plan.counts
    if plan.dry_run:
        typer.echo(f"Dry run: {counts['create']} to create, {counts['update']} to update, "
                   f"{counts['unchanged']} unchanged; nothing was written.")
    elif plan.changed:
        typer.echo(f"Applied to company '{plan.company}': {counts['create']} created, "
                   f"{counts['update']} updated, {counts['unchanged']} unchanged.")
    else:
        typer.echo(f"Company '{plan.company}' already matches the file; nothing changed.")
