"""Turning one CSV row into validated, normalised field values, or into row errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from leadflow.db import tables as t
from leadflow.schemas import AccountIn, ContactIn, Input, LeadIn
from leadflow.services import custom_fields
from leadflow.services.imports.columns import ColumnMap
from leadflow.services.imports.fastcheck import Picker, compile_checks, fast_check

SCHEMAS: dict[str, type[Input]] = {"contacts": ContactIn, "accounts": AccountIn, "leads": LeadIn}
LOWERCASE = {"program", "campaign", "scope", "priority"}  # keys and choices match any case
MAX_NAME = 300
SHOWN_VALUE = 200


@dataclass
class RowError:
    """One problem with one row: the CSV line number, the column as headed in the file, why."""

    row: int
    column: str
    reason: str
    value: str = ""


@dataclass(slots=True)
class ParsedRow:
    """A valid row: the fields it gives (blank cells are left out) and where each came from."""

    line: int
    values: dict[str, Any]
    custom: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> str:
        """The CSV header that gave field `name` (the field name if none did)."""
        return self.sources.get(name, name)

    def error(self, name: str, reason: str) -> RowError:
        """A row error about field `name`."""
        return RowError(self.line, self.column(name), reason, shown(self.values.get(name)))


class RowParser:
    """Validates rows of one import kind against the schemas and the custom field types.

    Plain text fields (length limits, an email or domain check) are checked by compiled
    checks (fastcheck.py), which cost a fraction of a Pydantic validation; a row with any
    other field, or one that a fast check refuses, is validated by Pydantic, so that the
    values and every error message are exactly the schema's.
    """

    def __init__(self, columns: ColumnMap, definitions: dict[str, t.CustomField]) -> None:
        self.columns = columns
        self.schema = SCHEMAS[columns.kind]
        self.definitions = definitions
        self.width = len(columns.headers)
        self.lowercase = LOWERCASE if columns.kind == "leads" else set()
        self.schema_fields = set(self.schema.model_fields)
        self.checks = compile_checks(self.schema)
        self.picker = Picker(columns, self.lowercase)

    def parse(self, line: int, cells: list[str]) -> ParsedRow | list[RowError]:
        """The row's valid values, or every problem found in it."""
        wide = too_wide(line, cells, self.width)
        if wide is not None:
            return [wide]
        raw, custom_raw, sources = self.picker.pick(cells)
        errors: list[RowError] = []
        values = self._validate(line, raw, sources, errors)
        custom = (coerce_custom(self.definitions, line, custom_raw, sources, errors)
                  if custom_raw else {})
        if errors:
            return errors
        row = ParsedRow(line, values, custom, sources)
        missing = self._missing_key(row)
        return [missing] if missing else row

    def _validate(
        self, line: int, raw: dict[str, str], sources: dict[str, str], errors: list[RowError]
    ) -> dict[str, Any]:
        given = {k: v for k, v in raw.items() if k in self.schema_fields}
        values = fast_check(self.checks, given)
        if values is None:
            values = {}
            try:
                model = self.schema.model_validate(given)
                values = model.model_dump(include=model.model_fields_set)
            except ValidationError as error:
                for problem in error.errors():
                    name = str(problem["loc"][0]) if problem["loc"] else ""
                    errors.append(RowError(line, sources.get(name, name), reason(problem),
                                           shown(raw.get(name))))
        account_name = raw.get("account_name")
        if account_name is not None:
            if len(account_name) > MAX_NAME:
                errors.append(RowError(line, sources["account_name"],
                                       f"is longer than {MAX_NAME} characters",
                                       shown(account_name)))
            values["account_name"] = account_name
        return values

    def _missing_key(self, row: ParsedRow) -> RowError | None:
        """A row that names no record it could match or create."""
        values, kind = row.values, self.columns.kind
        if kind == "contacts" and not (values.get("email") or values.get("external_id")):
            return RowError(row.line, row.column("email"), "a contact needs an email address"
                            " (or an external_id that matches an existing contact)")
        if kind == "leads" and not any(
            values.get(k) for k in ("contact_email", "account_domain", "external_id")
        ):
            return RowError(row.line, row.column("contact_email"), "a lead needs a contact_email"
                            " or an account_domain (or an external_id of an existing lead)")
        return None


def pick(
    headers: list[str], cells: list[str], targets: dict[str, list[int]], lowercase: set[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """field → first non-blank value among its columns, and the header it came from."""
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, indexes in targets.items():
        for index in indexes:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell:
                values[name] = cell.lower() if name in lowercase else cell
                sources[name] = headers[index]
                break
        else:
            sources[name] = headers[indexes[0]]
    return values, sources


def too_wide(line: int, cells: list[str], width: int) -> RowError | None:
    """The error of a row with more (non-blank) values than the header has columns."""
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return RowError(line, "", f"the row has {len(cells)} values but the header has"
                        f" {width} columns (a delimiter inside an unquoted value?)")
    return None


def reason(problem: Any) -> str:
    """Pydantic's message in the words of a CSV user."""
    kind = problem.get("type", "")
    message = str(problem.get("msg", "is not valid"))
    if kind == "missing":
        return "a value is required"
    if kind == "string_pattern_mismatch":
        return "must be a key: lowercase letters, digits, '-' and '_'"
    if kind == "string_too_long":
        limit = problem.get("ctx", {}).get("max_length")
        return f"is longer than {limit} characters"
    return message.removeprefix("Value error, ")


def shown(value: Any) -> str:
    """A value as the error report shows it (long values cut short)."""
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= SHOWN_VALUE else text[:SHOWN_VALUE] + "…"


def coerce_custom(definitions: dict[str, Any], line: int, raw: dict[str, str],
                  sources: dict[str, str], errors: list[RowError]) -> dict[str, Any]:
    """A row's custom field values by their definitions; bad ones become row errors."""
    custom: dict[str, Any] = {}
    for key, text in raw.items():
        definition = definitions[key]
        try:
            custom[key] = custom_fields.coerce(definition, text)
        except (TypeError, ValueError) as error:
            errors.append(RowError(line, sources[key], f"not a valid {definition.type}:"
                                   f" {error}", shown(text)))
    return custom
