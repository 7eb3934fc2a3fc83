"""`leadflow keys …`: create (secret shown once), list (never the secret) and revoke API keys."""

from __future__ import annotations

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
from leadflow.domain.roles import ROLES
from leadflow.services import keys
from leadflow.services.keys_view import describe_key, list_keys

app = typer.Typer(no_args_is_help=True)


@app.command("create")
@friendly
def create(
    name: str = typer.Option(..., "--name", help="What the key is for, e.g. 'CRM sync'."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Create an API key; its secret is printed now and never again."""
    with unit_of_work() as session:
        owner = company(session, company_key)
        row, secret = keys.create_key(session, owner, name=name, role=role)
        key_id, owner_key = row.id, owner.key
    if as_json:
        print_json({"key": secret, "id": key_id, "role": role, "company": owner_key})
        return
    console.print(f"Created {role} key {key_id} '{name.strip()}' for '{owner_key}'.",
                  markup=False, highlight=False)
    console.print("Secret (shown only now, keep it safe):")
    console.print(f"  [bold]{secret}[/bold]", highlight=False)


@app.command("list")
@friendly
def list_command(company_key: str | None = CompanyOption, as_json: bool = JsonOption) -> None:
    """List a company's API keys (never their secrets)."""
    with unit_of_work() as session:
        owner = company(session, company_key)
        found = list_keys(session, owner)
    if as_json:
        print_json(found)
        return
    table = Table("ID", "Name", "Prefix", "Role", "Created", "Revoked",
                  title=f"API keys of '{owner.key}'", box=box.SIMPLE_HEAD)
    for item in found:
        table.add_row(str(item["id"]), Text(item["name"]), item["prefix"] + "…", item["role"],
                      _when(item["created_at"]), _when(item["revoked_at"]) or "-")
    console.print(table)


@app.command("revoke")
@friendly
def revoke(
    # The range keeps ids no database column can hold from reaching the driver.
    key_id: int = typer.Argument(..., metavar="ID", min=1, max=2**63 - 1,
                                 help="Id of the key (see `keys list`)."),
    company_key: str | None = CompanyOption,
    as_json: bool = JsonOption,
) -> None:
    """Revoke an API key: it stops authenticating at once. Revoking twice is harmless."""
    with unit_of_work() as session:
        owner = company(session, company_key)
        described = describe_key(keys.revoke_key(session, owner, key_id), owner)
    if as_json:
        print_json(described)
        return
    console.print(f"Revoked key {key_id} '{described['name']}' of '{owner.key}'; it no longer "
                  "authenticates.", markup=False, highlight=False)


def _when(iso: str | None) -> str:
    """`2025-03-01 14:02` from an ISO timestamp: minutes are enough in a table."""
    return iso[:16].replace("T", " ") if iso else ""
