"""Configuration as code (SPEC §6.5): apply a file to a company, or dump a company as a file.

`apply` validates and writes every section in the caller's transaction, collecting problems
instead of stopping at the first; if there is any, it raises them all together and the caller's
rollback leaves the database exactly as it was. A dry run is the same apply, rolled back.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadflow.db import companies as company_rows
from leadflow.db.tables import Company
from leadflow.errors import FieldError, ValidationFailed
from leadflow.schemas import CompanyIn, Input, Name, Slug
from leadflow.services import companies
from leadflow.services import record_rules as _record_rules  # noqa: F401 - registers the checks
from leadflow.services.config_files import line_of, parse, render
from leadflow.services.config_plan import Applying, Change, Plan, Where
from leadflow.services.config_sections import BY_NAME, NOT_YET, SECTIONS

HEADER = ("company", "name")

__all__ = ["Plan", "apply", "dump", "dump_yaml", "parse"]


class _Header(Input):
    company: Slug | None = None
    name: Name | None = None


def apply(
    session: Session, document: Any, *, company_key: str | None = None, dry_run: bool = False
) -> Plan:
    """Apply a parsed configuration file; ValidationFailed lists every problem found."""
    problems: list[FieldError] = []
    header = _check_document(document, problems)
    if header is not None and header.company and company_key and header.company != company_key:
        problems.append(FieldError("company", f"the file configures company '{header.company}'"
                                   f" but --company names '{company_key}'"))
    _raise_if_any(problems)
    assert header is not None
    company, change = _company(session, header, company_key)
    state = Applying(session, company, Plan(company.key, dry_run, [change]))
    for section in SECTIONS:
        if section.name in document:
            where = Where(section.name, node=document[section.name],
                          line_hint=line_of(document, section.name))
            section.apply(state, document[section.name], where)
    _raise_if_any(state.problems)
    return state.plan


def dump(session: Session, company: Company) -> dict[str, Any]:
    """The company's configuration in file shape (only what differs from the defaults)."""
    data: dict[str, Any] = {"company": company.key}
    if company.name != default_name(company.key):
        data["name"] = company.name
    for section in SECTIONS:
        content = section.dump(session, company)
        if content:
            data[section.name] = content
    return data


def dump_yaml(session: Session, company: Company) -> str:
    """`dump` as a YAML document that `leadflow apply` reads back."""
    heading = f"# leadflow configuration of company '{company.key}'; apply with `leadflow apply`\n"
    return heading + render(dump(session, company))


def default_name(key: str) -> str:
    """`acme-corp` → `Acme Corp`: the name of a company created without one."""
    return key.replace("-", " ").replace("_", " ").title()


def _check_document(document: Any, problems: list[FieldError]) -> _Header | None:
    if not isinstance(document, dict):
        kind = "empty" if document is None else f"a {type(document).__name__}"
        problems.append(FieldError("", f"the file must be a mapping of sections (it is {kind})"))
        return None
    for name in document:
        _check_section_name(document, name, problems)
    try:
        return _Header.model_validate({k: document[k] for k in HEADER if k in document})
    except ValidationError as error:
        for item in error.errors():
            name = str(item["loc"][0])
            line = line_of(document, name)
            at = f" (line {line})" if line else ""
            problems.append(FieldError(name, f"{item['msg']} (got {item['input']!r}){at}"))
        return None


def _check_section_name(document: Any, name: Any, problems: list[FieldError]) -> None:
    if name in HEADER or name in BY_NAME:
        return
    line = line_of(document, name)
    at = f" (line {line})" if line else ""
    if name in NOT_YET:
        problems.append(FieldError(str(name), f"section '{name}' is not supported yet by this "
                                   f"version of leadflow; remove it to apply the rest{at}"))
        return
    known = [*HEADER, *BY_NAME]
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    problems.append(FieldError(str(name), f"unknown section; {hint}known sections: "
                               f"{', '.join(known)}{at}"))


def _company(session: Session, header: _Header, company_key: str | None) -> tuple[Company, Change]:
    """The company the file configures, created (as a client of the site) if the file names it."""
    if header.company is None:
        company = companies.find(session, company_key) if company_key else (
            companies.require_site(session))
    else:
        found = company_rows.company_by_key(session, header.company)
        if found is None:
            site = companies.require_site(session)
            name = header.name or default_name(header.company)
            created = companies.create_client(session, site, CompanyIn(key=header.company,
                                                                        name=name))
            return created, Change("company", "company", created.key, "create", ["key", "name"])
        company = found
    if header.name is not None and header.name != company.name:
        companies.rename(company, header.name)
        return company, Change("company", "company", company.key, "update", ["name"])
    return company, Change("company", "company", company.key, "unchanged")


def _raise_if_any(problems: list[FieldError]) -> None:
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ValidationFailed(f"nothing was applied; the configuration has {count}",
                               errors=problems)
