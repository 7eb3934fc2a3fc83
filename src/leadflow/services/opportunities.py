"""Opportunities (SPEC §5): made by converting a lead, by hand, or upserted by a CRM by external
id. Every change is an `opportunity.created` / `opportunity.updated` event with old and new
values, and an opportunity that closes (won or lost) closes its lead if the lead is still open:
the opportunity is the authority on how the sale ended.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow.db import lifecycle as queries
from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.db.types import utcnow
from leadflow.domain.lifecycle import CLOSED_STAGES
from leadflow.errors import Conflict, FieldError, NotFound, Problems, ValidationFailed
from leadflow.opportunity_schemas import CrmOpportunityIn, OpportunityIn
from leadflow.schemas import Input, partial
from leadflow.services import events, records, stage_changes
from leadflow.services.records import derived_fields, hook
from leadflow.services.resources import OPPORTUNITIES
from leadflow.services.scoring.rescore import Rescorer

CLOSED = ("won", "lost")
_SYSTEM = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
OpportunityPatch = partial(OpportunityIn)


@hook("opportunities")
def check_opportunity(
    session: Session, company_id: int, values: dict[str, Any], row: Any, problems: Problems
) -> None:
    """Contact, account and name follow from the lead unless given; closing stamps
    `closed_at` (and a probability of 100 or 0 when none is given); reopening clears it."""
    def current(name: str) -> Any:
        return values[name] if name in values else getattr(row, name, None)

    lead = _get(session, company_id, t.Lead, values.get("lead_id"))
    if lead is not None and (row is None or row.lead_id != lead.id):
        for column in ("contact_id", "account_id"):
            if current(column) is None:
                values[column] = getattr(lead, column)
    contact = _get(session, company_id, t.Contact, current("contact_id"))
    if contact is not None and current("account_id") is None:
        values["account_id"] = contact.account_id
    if "name" in values and values["name"] is None:
        if row is not None:
            problems.add("name", "an opportunity needs a name")
        elif lead is not None:
            values["name"] = lead.name
        elif not {e.loc for e in problems.errors} & {"lead_id", "lead_external_id"}:
            problems.add("name", "an opportunity needs a name (or a lead to take it from)")
    status, old = current("status"), getattr(row, "status", None)
    if status in CLOSED and status != old:
        values["closed_at"] = utcnow()
        if values.get("probability") is None:
            values["probability"] = 100 if status == "won" else 0
    elif status == "open" and old in CLOSED:
        values["closed_at"] = None


@derived_fields("opportunities")
def external_ids(session: Session, company_id: int, rows: list[Any]) -> dict[int, dict[str, Any]]:
    """Every opportunity shows the ids outside systems know it by: `{system: id}`."""
    found = queries.external_ids_of(session, company_id, [row.id for row in rows])
    return {row.id: {"external_ids": found.get(row.id, {})} for row in rows}


def describe(session: Session, company_id: int, row: t.Opportunity) -> dict[str, Any]:
    return records.serialize_one(session, company_id, OPPORTUNITIES, row)


def get(session: Session, company_id: int, ident: str | int) -> t.Opportunity:
    row: t.Opportunity = records.get(session, company_id, OPPORTUNITIES, ident)
    return row


def create(
    session: Session, company: t.Company, data: Input, *, actor: str | None,
    source: str = "promoted", external: tuple[str, str] | None = None,
) -> t.Opportunity:
    """Insert an opportunity (with the CRM's id, if any) and emit `opportunity.created`."""
    row: t.Opportunity = records.create(session, company.id, OPPORTUNITIES, data,
                                        defaults={"source": source})
    if external is not None:
        session.add(t.OpportunityExternalId(company_id=company.id, opportunity_id=row.id,
                                            system=external[0], external_id=external[1]))
        session.flush()
    events.record(session, company.id, "opportunity.created",
                  {"opportunity": describe(session, company.id, row)}, lead_id=row.lead_id)
    _lead_follows(session, company, row, None, actor)
    return row


def update(
    session: Session, company: t.Company, row: t.Opportunity, data: Input, *, actor: str | None,
) -> t.Opportunity:
    """Apply the fields given; emit `opportunity.updated` with what changed, old and new."""
    _lock_open_lead(session, company.id, row.lead_id)
    before, old_status = describe(session, company.id, row), row.status
    records.update(session, company.id, OPPORTUNITIES, row, data)
    after = describe(session, company.id, row)
    changes = {name: {"old": before.get(name), "new": value} for name, value in after.items()
               if name != "updated_at" and before.get(name) != value}
    if changes:
        events.record(session, company.id, "opportunity.updated",
                      {"opportunity": after, "changes": changes}, lead_id=row.lead_id)
    _lead_follows(session, company, row, old_status, actor)
    return row


def close_open(
    session: Session, company: t.Company, lead: t.Lead, status: str, actor: str | None,
) -> list[t.Opportunity]:
    """Close the lead's open opportunities as `status` (the lead was won, lost, disqualified)."""
    rows = queries.open_opportunities_of(session, company.id, lead.id)
    for row in rows:
        update(session, company, row, OpportunityPatch.model_validate({"status": status}),
               actor=actor)
    return rows


def upsert(
    session: Session, company: t.Company, system: str, external_id: str, data: CrmOpportunityIn,
) -> tuple[t.Opportunity, bool]:
    """Create or update the opportunity a CRM knows as `external_id` in `system`; the fields
    the CRM sends are set, others are kept. `data.id` names the opportunity to link an id not
    seen before to. Returns the opportunity and whether it is new."""
    system, external_id = _external_key(system, external_id)
    actor = f"crm:{system}"
    fields = OpportunityIn.model_validate(data.model_dump(include=data.model_fields_set - {"id"}))
    link = queries.external_id(session, company.id, system, external_id)
    if link is None and data.id is not None:
        link = _link(session, company, system, external_id, data.id)
    if link is None:
        try:
            with session.begin_nested():
                row = create(session, company, fields, actor=actor, source="crm",
                             external=(system, external_id))
            return row, True
        except IntegrityError:  # another request created it first: update theirs
            link = queries.external_id(session, company.id, system, external_id)
            if link is None:
                raise
    if data.id is not None and data.id != link.opportunity_id:
        raise Conflict(f"{system} id '{external_id}' belongs to opportunity"
                       f" {link.opportunity_id}, not {data.id}")
    row = get(session, company.id, link.opportunity_id)
    return update(session, company, row, fields, actor=actor), False


def _link(session: Session, company: t.Company, system: str, external_id: str,
          opportunity_id: int) -> t.OpportunityExternalId:
    """Give an existing opportunity the CRM's id (one id per system)."""
    row = get(session, company.id, opportunity_id)
    known = queries.external_ids_of(session, company.id, [row.id]).get(row.id, {})
    if system in known:
        raise Conflict(f"opportunity {row.id} already has {system} id '{known[system]}'")
    link = t.OpportunityExternalId(company_id=company.id, opportunity_id=row.id, system=system,
                                   external_id=external_id)
    session.add(link)
    Repository(session, company.id, t.OpportunityExternalId).flush(
        f"{system} id '{external_id}' is already linked")
    return link


def by_external_id(
    session: Session, company_id: int, system: str, external_id: str
) -> t.Opportunity:
    system, external_id = _external_key(system, external_id)
    link = queries.external_id(session, company_id, system, external_id)
    if link is None:
        raise NotFound(f"no opportunity with {system} id '{external_id}'")
    return get(session, company_id, link.opportunity_id)


def _external_key(system: str, external_id: str) -> tuple[str, str]:
    system, external_id = system.strip().lower(), external_id.strip()
    errors = []
    if not _SYSTEM.fullmatch(system):
        errors.append(FieldError("system", "a system name is 1-64 characters: a-z, 0-9, '_',"
                                 " '-', '.' (e.g. salesforce, hubspot)"))
    if not external_id or len(external_id) > 200 or "\x00" in external_id:
        errors.append(FieldError("external_id", "an external id is 1-200 characters"))
    if errors:
        raise ValidationFailed("Invalid external id", errors=errors)
    return system, external_id


def _lock_open_lead(session: Session, company_id: int, lead_id: int | None) -> None:
    """Hold the lead before changing its opportunity, the order a lead's actions take them in,
    so that a CRM closing the deal and a person closing the lead at once wait for each other
    instead of deadlocking."""
    lead = Repository(session, company_id, t.Lead).get(lead_id) if lead_id else None
    if lead is not None and lead.stage not in CLOSED_STAGES:
        queries.lock(session, lead)


def _lead_follows(
    session: Session, company: t.Company, row: t.Opportunity, old_status: str | None,
    actor: str | None,
) -> None:
    """An opportunity that has just closed closes its lead, if the lead is still open."""
    if row.status not in CLOSED or old_status in CLOSED or row.lead_id is None:
        return
    lead = Repository(session, company.id, t.Lead).get(row.lead_id)
    if lead is None or lead.stage in CLOSED_STAGES:
        return
    queries.lock(session, lead)
    if lead.stage in CLOSED_STAGES:  # closed meanwhile by someone else
        return
    action = "win" if row.status == "won" else "lose"
    now = utcnow()
    change = stage_changes.move(session, lead, action, row.status, actor,
                                f"opportunity {row.id} {row.status}", now)
    Rescorer(session, company, now).leads([lead.id], "stage_change", change.id)


def _get(session: Session, company_id: int, table: type[Any], row_id: int | None) -> Any:
    if row_id is None:
        return None
    return Repository(session, company_id, table).get(row_id)
