"""Ingesting interactions: one at a time or in batches, idempotently (SPEC §1, §3)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import ingestion as queries
from leadflow.db.repository import Repository
from leadflow.db.tables import Company, Contact, Interaction, Lead
from leadflow.db.types import utcnow
from leadflow.errors import FieldError, LeadflowError, Problems, ValidationFailed
from leadflow.services import records
from leadflow.services.ingestion import bulk, generation, people
from leadflow.services.ingestion.inputs import InteractionIn
from leadflow.services.ingestion.types import LEAD_INTERACTIONS, TypeCatalog, catalog
from leadflow.services.resources import INTERACTIONS

MARKETING_REFS = ("campaign", "campaign_id", "program", "program_id", "email", "email_id",
                  "landing_page", "landing_page_id", "event", "event_id")
RESUBMISSION_WINDOW = timedelta(minutes=5)
MAX_BATCH = 1000


@dataclass
class Outcome:
    """What happened to one incoming interaction."""

    status: str  # created | duplicate | ignored | error
    interaction_id: int | None = None
    contact_id: int | None = None
    lead_id: int | None = None
    lead_created: bool = False
    attached_visits: list[int] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status, "id": self.interaction_id, "contact_id": self.contact_id,
            "lead_id": self.lead_id, "lead_created": self.lead_created,
        }
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


@dataclass
class Ingestor:
    """Ingests interactions for one company within the caller's transaction."""

    session: Session
    company: Company
    source: str = "api"
    types: TypeCatalog | None = None
    rescore: bool = True
    touched: dict[int, tuple[int | None, int]] = field(default_factory=dict)
    # Leads this ingestor generated, given to the assignment rules once rescored (ingestors
    # that never rescore leave them to their caller: imports assign in imports.followup).
    created_leads: list[int] = field(default_factory=list)

    def one(self, data: InteractionIn) -> Outcome:
        """Ingest one interaction; affected scores are current when this returns."""
        outcome = self._one(data)
        self.rescore_touched()
        return outcome

    def rescore_touched(self) -> None:
        """Rescore the leads of every contact whose activity arrived (SPEC §2.5: before the
        ingest call returns), then run the assignment rules over the leads created (§4)."""
        if not self.rescore:
            return
        if self.touched:
            from leadflow.services.scoring.rescore import Rescorer

            touched, self.touched = self.touched, {}
            Rescorer(self.session, self.company).activity(touched)
        if self.created_leads:  # after rescoring: score conditions see the new scores
            from leadflow.services.assignment import assign_leads

            created, self.created_leads = self.created_leads, []
            assign_leads(self.session, self.company, created, "created")

    def type_catalog(self) -> TypeCatalog:
        """The company's interaction types, loaded once per ingestor."""
        if self.types is None:
            self.types = catalog(self.session, self.company.id)
        return self.types

    def _one(self, data: InteractionIn) -> Outcome:
        """Store one interaction, match its contact, and generate or join a lead."""
        types = self.type_catalog()
        key = types.resolve(data.type)
        attributes = types.typed_attributes(key, data.attributes)
        if data.external_id:
            known = queries.interaction_by_external_id(
                self.session, self.company.id, self.source, data.external_id)
            if known is not None:
                return _existing(known)
        refs = self._marketing_refs(data)
        contact = self._contact(data)
        fingerprint = _fingerprint(key, data, contact) if key == "form_submitted" else None
        if fingerprint and self._resubmitted(fingerprint, _when(data.occurred_at)):
            return Outcome("ignored", contact_id=contact.id if contact else None)
        row = Interaction(
            company_id=self.company.id, type=key, occurred_at=_when(data.occurred_at),
            contact_id=contact.id if contact else None,
            account_id=contact.account_id if contact else None, visitor_id=data.visitor_id,
            url=data.url, link=data.link, bounce_type=data.bounce_type,
            duration_seconds=data.duration_seconds, external_id=data.external_id,
            source=self.source, fingerprint=fingerprint, attributes=attributes, **refs,
        )
        stored = people.insert_or_find(self.session, row, lambda: self._by_external_id(data))
        if stored is not row:
            return _existing(stored)
        outcome = Outcome("created", row.id, row.contact_id)
        if data.visitor_id:
            outcome.attached_visits = people.identify_visitor(
                self.session, self.company.id, data.visitor_id, contact)
        self._lead(data, row, contact, outcome)
        if row.contact_id is not None:  # attached earlier visits belong to the same contact
            self.touched[row.contact_id] = (row.account_id, row.id)
        return outcome

    def batch(self, items: list[dict[str, Any]]) -> list[Outcome]:
        """Each item on its own: a bad item is reported and stores nothing, the rest land.

        Plain activity (opens, clicks, visits of known contacts) is stored set-wise; lead
        interactions, form fields and visitors go item by item, in the order given."""
        if len(items) > MAX_BATCH:
            raise ValidationFailed(f"a batch holds at most {MAX_BATCH} interactions "
                                   f"(got {len(items)})")
        outcomes: dict[int, Outcome] = {}
        simple: list[tuple[int, InteractionIn]] = []
        one_by_one: list[tuple[int, InteractionIn]] = []
        for index, item in enumerate(items):
            try:
                data = InteractionIn.model_validate(item)
            except ValueError as error:  # pydantic.ValidationError
                outcomes[index] = Outcome("error", errors=_pydantic_errors(error))
                continue
            try:
                key = self.type_catalog().resolve(data.type)
            except LeadflowError:
                key = None
            target = simple if key is not None and bulk.is_simple(data, key) else one_by_one
            target.append((index, data))
        one_by_one = sorted(one_by_one + bulk.ingest_simple(self, simple, outcomes))
        for index, data in one_by_one:
            outcomes[index] = self._guarded(data)
        self.rescore_touched()
        return [outcomes[index] for index in range(len(items))]

    def _guarded(self, data: InteractionIn) -> Outcome:
        """One item in its own savepoint: an error leaves nothing of it behind."""
        try:
            with self.session.begin_nested():
                return self._one(data)
        except LeadflowError as error:
            return Outcome("error", errors=error.errors or [FieldError("", error.detail)])

    def _by_external_id(self, data: InteractionIn) -> Interaction | None:
        if not data.external_id:
            return None
        return queries.interaction_by_external_id(self.session, self.company.id, self.source,
                                                  data.external_id)

    def _marketing_refs(self, data: InteractionIn) -> dict[str, Any]:
        values = data.model_dump(include=set(MARKETING_REFS))
        problems = Problems("Invalid interaction")
        records.resolve_references(self.session, self.company.id, INTERACTIONS, values,
                                   set(values), problems)
        problems.raise_if_any()
        refs = {k: v for k, v in values.items() if k.endswith("_id")}
        if refs.get("campaign_id") is None:
            refs["campaign_id"] = self._campaign_of(refs)
        return refs

    def _campaign_of(self, refs: dict[str, Any]) -> int | None:
        """A landing page, event or email given without a campaign implies its campaign."""
        from leadflow.db.tables import Event, LandingPage, MarketingEmail

        for column, table in (("landing_page_id", LandingPage), ("event_id", Event),
                              ("email_id", MarketingEmail)):
            if refs.get(column) is not None:
                row: Any = Repository(self.session, self.company.id, table).get(refs[column])
                if row is not None and row.campaign_id is not None:
                    return int(row.campaign_id)
        return None

    def _contact(self, data: InteractionIn) -> Contact | None:
        contact = people.contact_for(self.session, self.company.id, data)
        if contact is None and data.visitor_id:
            contact = people.contact_of_visitor(self.session, self.company.id, data.visitor_id)
        if contact is None and not data.visitor_id:
            raise ValidationFailed("Who did this?", errors=[FieldError(
                "contact_email", "an interaction needs contact_id, contact_email or visitor_id")])
        if contact is not None and data.contact is not None:
            people.update_from_form(self.session, self.company.id, contact, data.contact)
        return contact

    def _resubmitted(self, fingerprint: str, when: datetime) -> bool:
        if self.source == "import":
            # An import replays history in occurred_at order: "within 5 minutes" is between
            # the two submissions, not between their arrivals (which are all "now").
            return queries.interaction_with_fingerprint_between(
                self.session, self.company.id, fingerprint, when - RESUBMISSION_WINDOW,
                when) is not None
        since = utcnow() - RESUBMISSION_WINDOW
        return queries.recent_interaction_with_fingerprint(
            self.session, self.company.id, fingerprint, since) is not None

    def _lead(self, data: InteractionIn, row: Interaction, contact: Contact | None,
              outcome: Outcome) -> None:
        if data.lead_id is not None:
            outcome.lead_id = self._add_to_lead(data.lead_id, row)
            return
        if contact is None or not generation.creates_leads(self.session, self.company.id, row):
            return
        result = generation.generate(self.session, self.company.id, self.company.settings, row,
                                     contact)
        outcome.lead_id, outcome.lead_created = result.lead.id, result.created
        if result.created:
            self.created_leads.append(result.lead.id)

    def _add_to_lead(self, lead_id: int, row: Interaction) -> int:
        """People may add lead interactions to a lead by hand."""
        lead = Repository(self.session, self.company.id, Lead).get(lead_id)
        if lead is None:
            raise ValidationFailed("Unknown lead", errors=[
                FieldError("lead_id", f"no lead with id {lead_id}")])
        if row.type not in LEAD_INTERACTIONS:
            raise ValidationFailed("Not a lead interaction", errors=[FieldError(
                "lead_id", "only form submissions and event registrations/attendances can be "
                "added to a lead")])
        row.lead_id = lead.id
        return lead.id


def _existing(row: Interaction) -> Outcome:
    return Outcome("duplicate", row.id, row.contact_id, row.lead_id)


def _when(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fingerprint(key: str, data: InteractionIn, contact: Contact | None) -> str:
    """Identical form submissions share this, so a re-submission can be recognised."""
    parts = {
        "type": key, "contact": contact.id if contact else data.visitor_id,
        "page": data.landing_page or data.landing_page_id, "event": data.event or data.event_id,
        "form": data.contact.model_dump() if data.contact else None,
        "attributes": data.attributes,
    }
    raw = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()


def _pydantic_errors(error: ValueError) -> list[FieldError]:
    details = getattr(error, "errors", None)
    if details is None:
        return [FieldError("", str(error))]
    out = []
    for item in details():
        loc = ".".join(str(p) for p in item.get("loc", ())) or "body"
        message = "unknown field" if item.get("type") == "extra_forbidden" else item["msg"]
        out.append(FieldError(loc, message))
    return out

