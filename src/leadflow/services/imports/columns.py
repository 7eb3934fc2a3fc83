"""Which CSV column feeds which leadflow field: canonical names, synonyms and mapping files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from leadflow.errors import ValidationFailed

CANONICAL: dict[str, tuple[str, ...]] = {
    "contacts": (
        "email", "first_name", "last_name", "job_title", "phone", "city", "state", "country",
        "account_domain", "account_name", "external_id",
    ),
    "accounts": (
        "name", "domain", "industry", "employees", "annual_revenue", "city", "country",
        "parent_domain", "external_id",
    ),
    "leads": (
        "name", "contact_email", "account_domain", "program", "campaign", "status", "priority",
        "due_date", "territory", "owner", "external_id", "scope",
    ),
    "interactions": (
        "type", "occurred_at", "contact_email", "campaign", "program", "email", "landing_page",
        "event", "url", "link", "bounce_type", "duration_seconds", "external_id",
        # The contact's details, as a form would send them (they update the contact).
        "first_name", "last_name", "job_title", "phone", "city", "state", "country", "company",
        "domain",
    ),
}
ATTRIBUTE_PREFIX = "attr."  # interactions: `attr.<name>` columns are custom attributes

# A file is unusable without one of these columns: no row could ever be matched or created.
REQUIRED: dict[str, tuple[str, ...]] = {
    "contacts": ("email",),
    "accounts": ("name",),
    "leads": ("contact_email", "account_domain", "external_id"),
}
# ... and an interactions file needs every one of these.
REQUIRED_ALL: dict[str, tuple[str, ...]] = {
    "interactions": ("type", "occurred_at", "contact_email"),
}

# Export names of HubSpot and Salesforce (and common hand-made ones), compared after `squash`.
_COMMON = {
    "City": "city", "Mailing City": "city", "Billing City": "city", "Town": "city",
    "Country/Region": "country", "Mailing Country": "country", "Billing Country": "country",
    "Record ID": "external_id", "External ID": "external_id", "Ext ID": "external_id",
}
SYNONYMS: dict[str, dict[str, str]] = {
    "contacts": {
        **_COMMON,
        "Email Address": "email", "E-mail": "email", "Email": "email", "Mail": "email",
        "Work Email": "email", "Business Email": "email", "Primary Email": "email",
        "First Name": "first_name", "Firstname": "first_name", "Given Name": "first_name",
        "Last Name": "last_name", "Surname": "last_name", "Family Name": "last_name",
        "Job Title": "job_title", "Title": "job_title", "Position": "job_title",
        "Phone Number": "phone", "Phone": "phone", "Mobile Phone Number": "phone",
        "Mobile Phone": "phone", "Mobile": "phone", "Business Phone": "phone",
        "Work Phone": "phone",
        "State/Region": "state", "State/Province": "state", "Province": "state",
        "Mailing State": "state", "Mailing State/Province": "state",
        "Company Name": "account_name", "Company": "account_name", "Account Name": "account_name",
        "Account": "account_name", "Organization": "account_name",
        "Organisation": "account_name",
        "Website URL": "account_domain", "Website": "account_domain",
        "Company Domain Name": "account_domain", "Company Domain": "account_domain",
        "Domain": "account_domain",
        "Contact ID": "external_id", "Lead ID": "external_id",
    },
    "accounts": {
        **_COMMON,
        "Company Name": "name", "Company": "name", "Account Name": "name",
        "Organization": "name", "Organisation": "name", "Name": "name",
        "Website URL": "domain", "Website": "domain", "Company Domain Name": "domain",
        "Company Domain": "domain", "Domain Name": "domain",
        "Industry": "industry",
        "Number of Employees": "employees", "Employees": "employees",
        "Employee Count": "employees", "Headcount": "employees",
        "Annual Revenue": "annual_revenue", "Revenue": "annual_revenue",
        "Parent Domain": "parent_domain", "Parent Company Domain": "parent_domain",
        "Parent Company Domain Name": "parent_domain", "Parent Website": "parent_domain",
        "Company ID": "external_id", "Account ID": "external_id",
    },
    "leads": {
        "Record ID": "external_id", "External ID": "external_id", "Lead ID": "external_id",
        "Lead Name": "name",
        "Email Address": "contact_email", "E-mail": "contact_email", "Email": "contact_email",
        "Contact Email": "contact_email",
        "Company Domain Name": "account_domain", "Company Domain": "account_domain",
        "Website URL": "account_domain", "Website": "account_domain", "Domain": "account_domain",
        "Program Key": "program", "Campaign Key": "campaign",
        "Lead Status": "status", "Lead Priority": "priority",
        "Due Date": "due_date", "Sales Territory": "territory",
        "Owner Email": "owner", "Lead Owner Email": "owner", "Scope": "scope",
    },
    "interactions": {
        # `Email` itself is the marketing email's key (canonical), so addresses need a longer name.
        "Email Address": "contact_email", "E-mail": "contact_email",
        "Contact Email": "contact_email", "Recipient": "contact_email",
        "Event Type": "type", "Activity Type": "type", "Interaction Type": "type",
        "Timestamp": "occurred_at", "Occurred": "occurred_at", "Date": "occurred_at",
        "Time": "occurred_at", "Activity Date": "occurred_at", "Event Date": "occurred_at",
        "Campaign Key": "campaign", "Program Key": "program", "Email Key": "email",
        "Marketing Email": "email", "Landing Page Key": "landing_page", "Form": "landing_page",
        "Event Key": "event", "Page URL": "url", "Clicked URL": "link", "Link URL": "link",
        "Bounce": "bounce_type", "Duration": "duration_seconds",
        "Record ID": "external_id", "External ID": "external_id", "Event ID": "external_id",
        "Activity ID": "external_id",
        "First Name": "first_name", "Last Name": "last_name", "Job Title": "job_title",
        "Phone Number": "phone", "State/Region": "state", "Country/Region": "country",
        "Company Name": "company", "Website": "domain", "Company Domain": "domain",
        "Company Domain Name": "domain",
    },
}

# Mapping-file targets that mean "this column is not imported; don't warn about it".
IGNORE = {"", "-", "ignore", "skip"}


def squash(header: str) -> str:
    """`First Name`, `first_name` and `FIRST-NAME` all become `firstname`."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass
class ColumnMap:
    """Where each field of one import kind comes from in the file's header."""

    kind: str
    headers: list[str]
    fields: dict[str, list[int]] = field(default_factory=dict)
    custom: dict[str, list[int]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, target: str, index: int, custom_keys: Iterable[str]) -> None:
        bucket = self.custom if target in custom_keys else self.fields
        bucket.setdefault(target, []).append(index)


def map_columns(
    kind: str, headers: list[str], custom_keys: Iterable[str],
    mapping: Mapping[str, str | None] | None = None,
) -> ColumnMap:
    """Match every header to a field; warn about unknown headers; fail without a key column."""
    custom_keys = set(custom_keys)
    cleaned = [h.strip().lstrip("\ufeff").strip() for h in headers]
    columns = ColumnMap(kind, cleaned)
    explicit = _explicit(kind, cleaned, custom_keys, mapping or {}, columns)
    automatic = _automatic_lookup(kind, custom_keys)
    for index, header in enumerate(cleaned):
        if index in explicit:
            target = explicit[index]
            if target is not None:
                columns.add(target, index, custom_keys)
            continue
        found = automatic.get(squash(header)) or _attribute(kind, header)
        if found is None:
            columns.ignored.append(header or f"(column {index + 1} has no name)")
        else:
            columns.add(found, index, custom_keys)
    _warn(columns)
    _require(kind, columns)
    return columns


def _attribute(kind: str, target: str) -> str | None:
    """`attr.<name>` (any case of the prefix) for an interactions file, else None."""
    if kind != "interactions" or not target.lower().startswith(ATTRIBUTE_PREFIX):
        return None
    name = target[len(ATTRIBUTE_PREFIX):].strip()
    return ATTRIBUTE_PREFIX + name if name else None


def _automatic_lookup(kind: str, custom_keys: set[str]) -> dict[str, str]:
    """squashed header → field: canonical names first, then custom field keys, then synonyms."""
    found: dict[str, str] = {}
    for name, target in SYNONYMS[kind].items():
        found[squash(name)] = target
    for key in custom_keys:
        found[squash(key)] = key
    for name in CANONICAL[kind]:
        found[squash(name)] = name
    return found


def _explicit(
    kind: str, headers: list[str], custom_keys: set[str], mapping: Mapping[str, str | None],
    columns: ColumnMap,
) -> dict[int, str | None]:
    """Header index → target (None = ignore) for every header the mapping file names."""
    valid = set(CANONICAL[kind]) | custom_keys
    by_exact = {h: i for i, h in reversed(list(enumerate(headers)))}
    by_squashed = {squash(h): i for i, h in reversed(list(enumerate(headers)))}
    chosen: dict[int, str | None] = {}
    problems: list[str] = []
    for source, target in mapping.items():
        name = (target or "").strip()
        if name.lower() in IGNORE:
            resolved: str | None = None
        elif name in valid:
            resolved = name
        elif _attribute(kind, name):
            resolved = _attribute(kind, name)
        else:
            problems.append(f"'{source}' → '{name}'")
            continue
        index = by_exact.get(source.strip(), by_squashed.get(squash(source)))
        if index is None:
            columns.warnings.append(f"the mapping names column '{source}', which the file"
                                    " does not have")
            continue
        chosen[index] = resolved
    if problems:
        raise ValidationFailed(
            f"the mapping file maps to unknown {kind} fields: {', '.join(problems)}; "
            f"valid fields are {', '.join(sorted(valid))} (or 'ignore')"
        )
    return chosen


def _warn(columns: ColumnMap) -> None:
    if columns.ignored:
        names = ", ".join(f"'{h}'" for h in columns.ignored)
        columns.warnings.append(
            f"ignored {len(columns.ignored)} column(s) that match no {columns.kind[:-1]} field:"
            f" {names} (map them with --mapping, or declare custom fields)"
        )
    for target, indexes in {**columns.fields, **columns.custom}.items():
        if len(indexes) > 1:
            names = ", ".join(f"'{columns.headers[i]}'" for i in indexes)
            columns.warnings.append(
                f"columns {names} all map to {target}; each row uses the first non-empty one"
            )


def _require(kind: str, columns: ColumnMap) -> None:
    found = ", ".join(f"'{h}'" for h in columns.headers) or "none"
    missing = [n for n in REQUIRED_ALL.get(kind, ()) if n not in columns.fields]
    if missing:
        wanted = ", ".join(f"'{n}'" for n in missing)
        raise ValidationFailed(
            f"the file has no {wanted} column, which every {kind[:-1]} needs (columns found:"
            f" {found}); rename the column or map it with --mapping"
        )
    needed = REQUIRED.get(kind, ())
    if not needed or any(name in columns.fields for name in needed):
        return
    wanted = " or ".join(f"'{n}'" for n in needed)
    raise ValidationFailed(
        f"the file has no {wanted} column, so no {kind[:-1]} can be matched or created"
        f" (columns found: {found}); rename the column or map it with --mapping"
    )


def load_mapping(path: Path) -> dict[str, str | None]:
    """Read a `{"CSV header": "field"}` mapping from a YAML or JSON file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise ValidationFailed(f"no such mapping file: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"cannot read the mapping file {path}: {error}") from error
    return parse_mapping(text, path.name)


def parse_mapping(text: str, path: str) -> dict[str, str | None]:
    """A `{"CSV header": "field"}` mapping from YAML or JSON text (named `path` in errors)."""
    try:
        data: Any = json.loads(text) if path.lower().endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ValidationFailed(
            f"the mapping file {path} is not valid YAML/JSON: {error}"
        ) from error
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()
    ):
        raise ValidationFailed(
            f"the mapping file {path} must be an object of \"CSV header\": \"field\" pairs"
        )
    return data
