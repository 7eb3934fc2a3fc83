"""Records of one chunk, existing or new, and writing them back in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import imports as db
from leadflow.db import tables as t
from leadflow.services.imports.rows import RowError


@dataclass(eq=False, slots=True)
class Record:
    """One contact, account or lead as this chunk sees it.

    `id` is None until a new record is inserted. `links` hold references to records that may
    not have an id yet (a contact's new account); they become ids when the chunk is saved.
    """

    id: int | None
    values: dict[str, Any]
    changed: dict[str, Any] = field(default_factory=dict)
    links: dict[str, Record] = field(default_factory=dict)
    original: dict[str, Any] | None = None
    was_updated: bool = False

    @property
    def is_new(self) -> bool:
        return self.id is None

    def get(self, column: str) -> Any:
        return self.values.get(column)

    def set(self, column: str, value: Any) -> bool:
        """Give `column` a value; True when that changes the record."""
        if column not in self.links and self.values.get(column) == value:
            return False
        self.links.pop(column, None)
        self.values[column] = value
        if not self.is_new:
            self.changed[column] = value
        return True

    def link(self, column: str, target: Record) -> bool:
        """Point `column` at `target`; True when that changes the record."""
        if target.id is not None:
            return self.set(column, target.id)
        if self.links.get(column) is target:
            return False
        self.links[column] = target
        self.values[column] = None
        self.changed.pop(column, None)
        return True

    def net_changes(self) -> dict[str, Any]:
        """Changed columns whose value differs from the one read from the database (rows
        repeated in a chunk may change a value and change it back)."""
        before = self.original or {}
        return {c: v for c, v in self.changed.items() if c not in before or before[c] != v}

    def resolve_links(self) -> None:
        """Turn links to records that now have an id into plain column values."""
        if not self.links:
            return
        for column, target in list(self.links.items()):
            if target.id is not None:
                del self.links[column]
                self.values[column] = target.id
                if not self.is_new:
                    self.changed[column] = target.id

    def linked(self, column: str) -> Record | None:
        """The not-yet-saved record `column` points at, if any."""
        return self.links.get(column)


def existing(rows: Iterable[dict[str, Any]]) -> list[Record]:
    """Records for rows read from the database."""
    return [Record(row["id"], row, original=dict(row)) for row in rows]


def save(
    session: Session, company_id: int, model: type[t.Base], records: Iterable[Record],
    defaults: Mapping[str, Any], now: datetime,
) -> None:
    """Insert the new records (one statement) and update the changed ones (few statements)."""
    records = list(records)
    for record in records:
        record.resolve_links()
    new = [r for r in records if r.is_new]
    if new:
        columns = set(defaults).union(*(r.values for r in new)) - {"id"}
        rows = [
            {**{c: r.values.get(c, defaults.get(c)) for c in columns},
             "created_at": now, "updated_at": now}
            for r in new
        ]
        for record, new_id in zip(new, db.insert_rows(session, company_id, model, rows),
                                  strict=True):
            record.id = record.values["id"] = new_id
        # Links to records inserted by that same statement (an account's new parent).
        for record in records:
            record.resolve_links()
    changed = [r for r in records if r.net_changes()]
    db.update_rows(session, company_id, model,
                   ({"id": r.id, **r.net_changes(), "updated_at": now} for r in changed))
    for record in changed:
        record.was_updated = True
        record.changed.clear()


@dataclass
class Chunk:
    """The state of one chunk being applied: its session, options and outcomes so far.

    Outcomes are kept here, not in the summary, until the chunk's transaction commits.
    """

    session: Session
    company_id: int
    update: bool
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    also_created: dict[str, int] = field(default_factory=dict)
    matches: list[tuple[Record, bool]] = field(default_factory=list)
    saved: dict[str, set[int]] = field(default_factory=dict)
    created: dict[str, list[int]] = field(default_factory=dict)

    def keep(self, kind: str, records: Iterable[Record], new: Iterable[Record] = ()) -> None:
        """Remember the saved records of one kind (and which were new) for what follows the
        import: rescoring and lead creation."""
        self.saved.setdefault(kind, set()).update(r.id for r in records if r.id is not None)
        self.created.setdefault(kind, []).extend(r.id for r in new if r.id is not None)

    def outcome(self, name: str) -> None:
        """Count one row as created, updated, unchanged or skipped."""
        self.counts[name] = self.counts.get(name, 0) + 1

    def fail(self, error: RowError) -> None:
        """Count one row as failed, for this reason."""
        self.outcome("failed")
        self.errors.append(error)

    def side_effect(self, kind: str) -> None:
        """Count a record created on the way (a contact's new account, a lead's new contact)."""
        self.also_created[kind] = self.also_created.get(kind, 0) + 1

    def matched(self, record: Record, changes: list[bool]) -> None:
        """Note a row that matched an existing record (or one created earlier in the file);
        it is counted when the chunk is saved."""
        self.matches.append((record, any(changes)))

    def settle(self) -> None:
        """Count matched rows: `updated` if the row changed the record and the chunk left it
        different from what was stored (so a re-run reports `unchanged`)."""
        for record, changed in self.matches:
            stored = record.original is not None
            self.outcome("updated" if changed and (record.was_updated or not stored)
                         else "unchanged")
        self.matches.clear()

    def index(self, index: dict[Any, Record], old: Any, new: Any, record: Record) -> None:
        """Move `record` from key `old` to key `new` in one of the chunk's lookup indexes."""
        if old == new:
            return
        if old is not None and index.get(old) is record:
            del index[old]
        if new is not None:
            index[new] = record
