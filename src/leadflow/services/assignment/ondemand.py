"""Running the assignment rules because a person asked (`leadflow assign`, `POST
/assignment-rules/run`): over one lead, the leads matching a filter, or all leads; by default
only leads without an owner. A dry run does the same work inside a savepoint and rolls it back,
so it lists exactly what would change while nothing is written — not even the round robin's
position."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import assignment as queries
from leadflow.db import tables as t
from leadflow.domain.assignment import PRIORITIES
from leadflow.errors import FieldError, LeadflowError, ValidationFailed
from leadflow.services import records
from leadflow.services.assignment.runner import Outcome, assign_leads
from leadflow.services.resources import CAMPAIGNS, LEADS, PROGRAMS, USERS

STAGES = ("nurture", "sales_ready", "accepted", "qualified", "opportunity", "won", "lost")
FILTERS = ("stage", "status", "priority", "territory", "source", "scope", "sales_ready",
           "owner", "campaign", "program")
CHOICES: Mapping[str, tuple[str, ...]] = {
    "stage": STAGES, "priority": PRIORITIES, "source": ("manual", "auto", "import", "api"),
    "scope": ("contact", "account"),
}
RESULTS = ("assigned", "unassignable", "updated", "unchanged", "no_match", "skipped")


@dataclass
class Report:
    """What a run did (or would do): every lead's outcome, in lead order."""

    dry_run: bool
    only_unassigned: bool
    leads: int
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(o.result for o in self.outcomes)
        return {result: found[result] for result in RESULTS}

    @property
    def changes(self) -> list[Outcome]:
        """The outcomes that change a lead (or would): assigned, unassignable, updated."""
        return [o for o in self.outcomes if o.result in ("assigned", "unassignable", "updated")]

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "only_unassigned": self.only_unassigned,
                "leads": self.leads, "counts": self.counts,
                "items": [o.as_dict() for o in self.changes], "notes": self.notes}


def select_leads(
    session: Session, company_id: int, *, lead_id: str | int | None = None,
    filters: Mapping[str, Any] | None = None, everything: bool = False,
    only_unassigned: bool = True,
) -> list[int]:
    """The ids a run covers: one lead (by id), a filter, or every lead — exactly one of them.
    With `only_unassigned`, leads of a filter or of all leads are those without an owner."""
    given = [name for name, value in (("lead_id", lead_id), ("filter", filters),
                                      ("all", everything or None)) if value is not None]
    if len(given) != 1:
        raise ValidationFailed("Say which leads to assign", errors=[FieldError(
            "body", "give exactly one of lead_id, filter or all: true"
            + (f" (got {', '.join(given)})" if given else ""))])
    if lead_id is not None:
        return [records.get(session, company_id, LEADS, lead_id).id]
    columns = _filters(session, company_id, filters or {}) if filters is not None else {}
    return queries.lead_ids(session, company_id, columns, unowned_only=only_unassigned)


def run(
    session: Session, company: t.Company, lead_ids: list[int], *, dry_run: bool,
    only_unassigned: bool = True, progress: Callable[[int], None] | None = None,
) -> Report:
    """Run the rules over `lead_ids` (trigger `on_demand`); a dry run writes nothing."""
    report = Report(dry_run, only_unassigned, len(lead_ids))
    if not any(rule.enabled for rule in queries.rules(session, company.id)):
        report.notes.append("the company has no enabled assignment rules")
        return report
    if dry_run:
        savepoint = session.begin_nested()
        try:
            report.outcomes = assign_leads(session, company, lead_ids, "on_demand",
                                           only_unassigned=only_unassigned, progress=progress)
        finally:
            savepoint.rollback()
    else:
        report.outcomes = assign_leads(session, company, lead_ids, "on_demand",
                                       only_unassigned=only_unassigned, progress=progress)
    done = {o.lead_id for o in report.outcomes}
    for lead in queries.leads_by_id(session, company.id, [i for i in lead_ids if i not in done]):
        report.outcomes.append(Outcome(lead.id, lead.name, "skipped",
                                       reason="the lead has an owner (only_unassigned)"))
    report.outcomes.sort(key=lambda o: o.lead_id)
    return report


def _filters(session: Session, company_id: int, given: Mapping[str, Any]
             ) -> dict[str, list[Any]]:
    """A filter's fields as lead columns and values (references resolved to ids)."""
    if not isinstance(given, Mapping):
        raise ValidationFailed("Invalid filter", errors=[FieldError(
            "filter", "must be an object of field: value, e.g. {stage: nurture, owner: null}")])
    errors: list[FieldError] = []
    out: dict[str, list[Any]] = {}
    for name, raw in given.items():
        values = list(raw) if isinstance(raw, list) else [raw]
        if name not in FILTERS:
            errors.append(FieldError(f"filter.{name}", "unknown filter; filter by one of: "
                                     + ", ".join(FILTERS)))
        elif not values:
            errors.append(FieldError(f"filter.{name}", "give at least one value"))
        else:
            try:
                column, resolved = _values(session, company_id, name, values)
                out[column] = resolved
            except LeadflowError as error:
                errors.append(FieldError(f"filter.{name}", error.detail))
    if errors:
        raise ValidationFailed("Invalid filter", errors=errors)
    return out


def _values(session: Session, company_id: int, name: str, values: list[Any]
            ) -> tuple[str, list[Any]]:
    resources = {"owner": USERS, "campaign": CAMPAIGNS, "program": PROGRAMS}
    if name in resources:
        return f"{name}_id", [None if v is None else records.get(
            session, company_id, resources[name], str(v)).id for v in values]
    for value in values:
        if name == "sales_ready" and not isinstance(value, bool):
            raise ValidationFailed(f"must be true or false, got {value!r}")
        if name != "sales_ready" and value is not None and not isinstance(value, str):
            raise ValidationFailed(f"must be text, got {value!r}")
        if name in CHOICES and value not in CHOICES[name]:
            raise ValidationFailed(f"must be one of: {', '.join(CHOICES[name])} (got {value!r})")
    return name, values
