"""The plan of a configuration apply (what changes, item by item) and where problems are."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadflow.db.tables import Company
from leadflow.errors import FieldError, LeadflowError
from leadflow.services.config_files import line_of

Action = Literal["create", "update", "unchanged"]
# The parts of a path in an item: names and list indexes (`rules[0].points`, `attributes.0`).
_PATH_PART = re.compile(r"[^.\[\]]+")


@dataclass
class Change:
    """What applying does to one item: create it, update some of its fields, or nothing; plus
    life-cycle steps such as publishing or stopping a scoring model."""

    section: str
    label: str
    key: str
    action: Action
    fields: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """`campaign 'spring': update (fields: name, program)`; `… : create, publish`."""
        name = f"{self.label} '{self.key}'" if self.key else self.label
        parts: list[str]
        if self.action != "update":
            parts = [self.action]
        elif self.fields:
            parts = [f"update (fields: {', '.join(self.fields)})"]
        else:
            parts = [] if self.steps else ["update"]
        return f"{name}: {', '.join([*parts, *self.steps])}"

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section, "key": self.key, "action": self.action,
                "fields": self.fields, "steps": self.steps}


@dataclass
class Plan:
    """Every change of one apply, in the order they are made."""

    company: str
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(change.action for change in self.changes)
        return {action: counted[action] for action in ("create", "update", "unchanged")}

    @property
    def changed(self) -> bool:
        return any(change.action != "unchanged" for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        return {"company": self.company, "dry_run": self.dry_run, "counts": self.counts,
                "items": [change.as_dict() for change in self.changes], "notes": self.notes}


@dataclass
class Where:
    """Names an item of the file in messages: `campaigns[1] 'spring', program`."""

    section: str
    index: int | None = None
    node: Any = None
    key: str | None = None
    line_hint: int | None = None

    def loc(self, field_name: str | None = None) -> str:
        text = self.section if self.index is None else f"{self.section}[{self.index}]"
        if self.key:
            text += f" '{self.key}'"
        return f"{text}, {field_name}" if field_name else text

    def line(self, field_name: str | None = None) -> int | None:
        """The line of `field_name` in the file (or of the item), if the file had lines.

        The field may be a path into the item (`rules[0].conditions[1].where`,
        `attributes.0.type`): the line is that of the deepest part found in the file.
        """
        if not field_name or (isinstance(self.node, dict) and field_name in self.node):
            return line_of(self.node, field_name) or self.line_hint
        node, found = self.node, line_of(self.node)
        for part in _PATH_PART.findall(field_name):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                found = line_of(node, part) or found
                node = node[part]
            else:
                break
            found = line_of(node) or found
        return found or self.line_hint


@dataclass
class Applying:
    """The state of one apply: the session, the company, the plan so far and the problems."""

    session: Session
    company: Company
    plan: Plan
    problems: list[FieldError] = field(default_factory=list)

    def record(self, section: str, label: str, key: str, action: Action,
               fields: list[str] | None = None, steps: list[str] | None = None) -> None:
        self.plan.changes.append(Change(section, label, key, action, fields or [], steps or []))

    def problem(self, where: Where, field_name: str | None, message: str,
                line: int | None = None) -> None:
        line = line or where.line(field_name)
        suffix = f" (line {line})" if line else ""
        self.problems.append(FieldError(where.loc(field_name), message + suffix))

    def error(self, where: Where, error: LeadflowError) -> None:
        """Report an error raised by a record service against the item it came from."""
        if not error.errors:
            self.problem(where, None, error.detail)
        for item in error.errors:
            self.problem(where, item.loc or None, item.message)

    def invalid(self, where: Where, error: ValidationError, label: str) -> None:
        """Report Pydantic's complaints about an item, one per field."""
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or None
            self.problem(where, name, _message(item, label))


def _message(item: Any, label: str) -> str:
    if item["type"] == "missing":
        return f"is required to create {a(label)}"
    value = item.get("input")
    if value is None:
        return "cannot be null"
    message = str(item["msg"]).removeprefix("Value error, ")
    if isinstance(value, str | int | float | bool) and repr(value) not in message:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        message += f" (got {shown})"
    return message


def a(label: str) -> str:
    """`a campaign`, `an event`."""
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label}"
