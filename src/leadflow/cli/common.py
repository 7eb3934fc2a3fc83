"""What every command shares: the database, the company, output, and error handling."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

import leadflow.bootstrap  # noqa: F401  (registers record checks and scoring triggers)
from leadflow.config import Settings
from leadflow.db.database import Database
from leadflow.db.tables import Company
from leadflow.errors import LeadflowError
from leadflow.services import companies

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
errors = Console(stderr=True)

CompanyOption = typer.Option(
    None, "--company", help="Company key to act on (default: the site company)."
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


def database() -> Database:
    """The database named by LEADFLOW_DATABASE_URL."""
    return Database(Settings().database_url)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for one command."""
    db = database()
    try:
        with db.transaction() as session:
            yield session
    finally:
        db.dispose()


def company(session: Session, key: str | None) -> Company:
    """The company named by --company, or the site company."""
    if key:
        return companies.find(session, key)
    return companies.require_site(session)


def fail(message: str, code: int = 1) -> None:
    """Print one clear line to stderr and exit non-zero."""
    # Messages quote user input; escaping keeps brackets in it from reading as Rich markup.
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def friendly(function: Callable[P, R]) -> Callable[P, R]:
    """Turn user mistakes into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except LeadflowError as error:
            fail(str(error))
        except (OperationalError, ProgrammingError) as error:
            if "no such table" in str(error) or "does not exist" in str(error):
                fail("the database has no leadflow schema yet; run `leadflow init` first")
            fail(f"database error: {error.orig}")
        except FileNotFoundError as error:
            fail(f"no such file: {error.filename}")
        raise AssertionError("unreachable")

    return wrapper


def print_json(data: Any) -> None:
    """JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
