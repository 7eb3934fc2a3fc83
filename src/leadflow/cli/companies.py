"""`leadflow company …`: create client companies, list them, show and change settings."""

from __future__ import annotations

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
    friendly,
    print_json,
    unit_of_work,
)
from leadflow.db import companies as repo
from leadflow.errors import FieldError, Forbidden, ValidationFailed
from leadflow.schemas import CompanyIn
from leadflow.services import companies

app = typer.Typer(no_args_is_help=True)


@app.command("create")
@friendly
def create(
    key: str = typer.Argument(..., help="Key (slug) of the new company, e.g. acme."),
    name: str = typer.Option(..., "--name", help="Display name of the new company."),
    setting: list[str] | None = typer.Option(
        None, "--setting", help="A setting as KEY=VALUE; repeat for more."
    ),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a client company managed by the site company."""
    data = _company_input(key, name, parse_pairs(setting or [], "--setting"))
    with unit_of_work() as session:
        site = company(session, company_key)
        if not site.is_site:
            raise Forbidden(f"'{site.key}' is a client company; only the site company "
                            "manages client companies")
        created = companies.create_client(session, site, data)
        described = companies.describe(created)
    if as_json:
        print_json(described)
        return
    console.print(f"Created company '{created.key}' ({created.name}), a client of "
                  f"'{site.key}'.", markup=False, highlight=False)


@app.command("list")
@friendly
def list_companies(company_key: str | None = CompanyOption, as_json: bool = JsonOption) -> None:
    """List the site company and its clients (a client company sees only itself)."""
    with unit_of_work() as session:
        home = company(session, company_key)
        found = [companies.describe(c) for c in repo.companies_visible_to(session, home)]
    if as_json:
        print_json(found)
        return
    table = Table("ID", "Key", "Name", "Kind", "Created", box=box.SIMPLE_HEAD)
    for item in found:
        table.add_row(str(item["id"]), item["key"], Text(item["name"]),
                      "site" if item["is_site"] else "client", (item["created_at"] or "")[:10])
    console.print(table)


@app.command("settings")
@friendly
def settings(
    changes: list[str] | None = typer.Option(
        None, "--set", help="Change a setting: KEY=VALUE; repeat for more."
    ),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a company's effective settings; with --set, validate and store changes first."""
    wanted = parse_pairs(changes or [], "--set")
    with unit_of_work() as session:
        target = company(session, company_key)
        if wanted:
            companies.change_settings(target, wanted)
        stored = dict(target.settings or {})
        effective = companies.describe(target)["settings"]
    if as_json:
        print_json(effective)
        return
    if wanted:
        console.print(f"Saved {len(wanted)} setting(s) of '{target.key}'.", highlight=False)
    table = Table("Setting", "Value", "", title=f"Settings of '{target.key}'",
                  box=box.SIMPLE_HEAD)
    for name, value in effective.items():
        origin = "set" if name in stored else "default"
        table.add_row(name, _text(value), f"[dim]{origin}[/dim]")
    console.print(table)


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    """`["a=1", "b=x"]` → `{"a": "1", "b": "x"}`; the last value of a repeated key wins."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed(f"{option} expects KEY=VALUE (got '{pair}')")
        parsed[name.strip()] = value.strip()
    return parsed


def _company_input(key: str, name: str, settings: dict[str, Any]) -> CompanyIn:
    try:
        return CompanyIn(key=key, name=name, settings=settings or None)
    except ValidationError as error:
        problems = [
            FieldError(".".join(str(p) for p in e["loc"]), _reason(e)) for e in error.errors()
        ]
        raise ValidationFailed("Invalid company", errors=problems) from error


def _reason(error: Any) -> str:
    if error.get("type") == "string_pattern_mismatch":
        return "use lower-case letters, digits, '-' and '_' (at most 64, starting with a letter" \
               " or digit)"
    return str(error.get("msg", "invalid"))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
