"""`leadflow model …` and `leadflow rescore`: scoring models from files, and rescoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.orm import Session

from leadflow.cli.common import (
    CompanyOption,
    JsonOption,
    company,
    console,
    friendly,
    print_json,
    unit_of_work,
)
from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.errors import ValidationFailed
from leadflow.scoring.model import model_to_dict
from leadflow.scoring.text import render_text
from leadflow.services import config_files, jobs
from leadflow.services.scoring import models

app = typer.Typer(no_args_is_help=True)


def read_source(path: Path) -> dict[str, Any] | str:
    """A model file: YAML or JSON (the dict shape), or the text form (`MODEL "…"`)."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().upper().startswith("MODEL"):
        return text
    data = config_files.parse(text, str(path))
    if not isinstance(data, dict):
        raise ValidationFailed(f"{path}: a model file holds one model (a mapping)")
    return dict(data)


def run_rescore(session: Session, company_row: t.Company, cause: str, quiet: bool) -> dict[
    str, Any
]:
    """Rescore every lead now, showing a progress bar."""
    job = jobs.enqueue(session, company_row.id, "rescore", {"cause": cause})
    with Progress(console=console, disable=quiet, transient=True) as bar:
        task = bar.add_task("Rescoring leads", total=None)
        jobs.run(session, job, lambda done, total: bar.update(task, completed=done, total=total))
    return job.result or {}


@app.command("list")
@friendly
def list_models(company_key: str | None = CompanyOption, as_json: bool = JsonOption) -> None:
    """List scoring models with their status and live version."""
    with unit_of_work() as session:
        rows = queries.models(session, company(session, company_key).id)
        found = [models.describe(session, row) for row in rows]
    if as_json:
        print_json([{k: v for k, v in m.items() if k != "definition"} for m in found])
        return
    table = Table("Key", "Name", "Status", "Live version", "Unpublished changes",
                  box=box.SIMPLE_HEAD)
    for m in found:
        table.add_row(m["key"], m["name"], m["status"], str(m["version"] or "-"),
                      "yes" if m["has_unpublished_changes"] else "")
    console.print(table)


@app.command("validate")
@friendly
def validate(file: Path, company_key: str | None = CompanyOption) -> None:
    """Check a model file (YAML, JSON or text form) against the company's schema."""
    with unit_of_work() as session:
        model = models.parse(session, company(session, company_key).id, read_source(file))
    console.print(f"'{model.key}' is valid: {len(model.rules)} rules.", markup=False)


@app.command("show")
@friendly
def show(
    key_or_file: str = typer.Argument(..., help="A model key, or a model file."),
    text: bool = typer.Option(False, "--text", help="Print the text form."),
    as_json: bool = typer.Option(False, "--json", help="Print the normalised model."),
    company_key: str | None = CompanyOption,
) -> None:
    """Show a model (the draft if there is one) as normalised JSON or in its text form."""
    with unit_of_work() as session:
        company_id = company(session, company_key).id
        path = Path(key_or_file)
        if path.is_file():
            model = models.parse(session, company_id, read_source(path))
            definition = model_to_dict(model)
        else:
            row = models.get(session, company_id, key_or_file)
            definition = models.definition(session, row)
            model = models.parse(session, company_id, definition)
    if as_json:
        print_json(definition)
    else:
        typer.echo(render_text(model), nl=False)
    del text  # the text form is the default view


@app.command("apply")
@friendly
def apply(file: Path, company_key: str | None = CompanyOption,
          quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")) -> None:
    """Save a model file as the model's draft; `status: live` in the file also publishes it."""
    with unit_of_work() as session:
        company_row = company(session, company_key)
        source = read_source(file)
        model = models.parse(session, company_row.id, source)
        _, changed = models.save(session, company_row.id, model)
        console.print(f"'{model.key}': {'draft saved' if changed else 'unchanged'}.",
                      markup=False)
        if isinstance(source, dict) and source.get("status") == "live":
            _publish(session, company_row, model.key, quiet)


@app.command("publish")
@friendly
def publish(key: str, company_key: str | None = CompanyOption,
            quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")) -> None:
    """Publish the draft as a new live version and rescore every lead."""
    with unit_of_work() as session:
        _publish(session, company(session, company_key), key, quiet)


def _publish(session: Session, company_row: t.Company, key: str, quiet: bool) -> None:
    version = models.publish(session, company_row.id, key, actor="cli")
    if version is None:
        console.print(f"'{key}' is already live with these rules; nothing to publish.",
                      markup=False)
        return
    result = run_rescore(session, company_row, "publish", quiet)
    console.print(f"Published '{key}' version {version.version}; rescored "
                  f"{result.get('leads', 0)} leads ({result.get('changed', 0)} changed).",
                  markup=False)


@app.command("stop")
@friendly
def stop(key: str, company_key: str | None = CompanyOption) -> None:
    """Stop a live model: its scores leave the leads (the score history keeps them)."""
    with unit_of_work() as session:
        removed = models.stop(session, company(session, company_key).id, key)
    console.print(f"Stopped '{key}'; removed {removed} scores.", markup=False)


@friendly
def rescore(company_key: str | None = CompanyOption, as_json: bool = JsonOption,
            quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")) -> None:
    """Rescore every lead of the company in every live model, as of now."""
    with unit_of_work() as session:
        result = run_rescore(session, company(session, company_key), "rescore",
                             quiet or as_json)
    if as_json:
        print_json(result)
    else:
        console.print(f"Rescored {result.get('leads', 0)} leads "
                      f"({result.get('changed', 0)} changed).")


@friendly
def worker(
    interval: float = typer.Option(5.0, help="Seconds between passes."),
    once: bool = typer.Option(False, "--once", help="Do one pass and exit."),
) -> None:
    """Run background jobs and keep time-dependent scores current (within a minute)."""
    import logging

    from leadflow.cli.common import database
    from leadflow.services import worker as background

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = database()
    db.migrate()
    if once:
        result = background.tick(db)
        console.print(f"Ran {result.jobs} jobs; rescored {result.rescored} leads.")
        return
    console.print(f"leadflow worker: a pass every {interval:g} s (Ctrl-C to stop).")
    try:
        background.run(db, interval)
    except KeyboardInterrupt:
        console.print("Worker stopped.")
