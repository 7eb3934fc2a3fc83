"""The set-based path for batches of behaviour interactions (opens, clicks, visits …).

A batch item that only records activity of a contact known by id or email needs no lead
generation, no form fields and no visitor identification, so the whole batch is stored with a
few set-based queries: one lookup of external ids, one of contacts, one bulk insert of new
contacts and one of interactions. Everything else takes the item-by-item path. Both paths give
the same stored rows and outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from leadflow.db import tables as t
from leadflow.errors import FieldError, LeadflowError
from leadflow.services.ingestion.inputs import InteractionIn
from leadflow.services.ingestion.types import LEAD_INTERACTIONS

if TYPE_CHECKING:
    from leadflow.services.ingestion.ingest import Ingestor, Outcome

REFERENCES = (("campaign", t.Campaign), ("program", t.Program), ("email", t.MarketingEmail),
              ("landing_page", t.LandingPage), ("event", t.Event))


def is_simple(data: InteractionIn, type_key: str) -> bool:
    """Whether the item can take the set-based path."""
    return (data.contact is None and data.lead_id is None and data.visitor_id is None
            and (data.contact_email is not None or data.contact_id is not None)
            and type_key not in LEAD_INTERACTIONS)


@dataclass
class Prepared:
    index: int
    data: InteractionIn
    values: dict[str, Any]


class Catalog:
    """The company's marketing records by key and by id, loaded once per batch."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.by_key: dict[str, dict[str, Any]] = {}
        self.by_id: dict[str, dict[int, Any]] = {}
        for name, table in REFERENCES:
            table_: Any = table
            rows: list[Any] = list(ingestor.session.scalars(
                select(table_).where(table_.company_id == ingestor.company.id)))
            self.by_key[name] = {r.key: r for r in rows}
            self.by_id[name] = {r.id: r for r in rows}

    def resolve(self, data: InteractionIn, errors: list[FieldError]) -> dict[str, Any]:
        """`{<name>_id: id}` for the item's references, with the campaign implied by its page,
        event or email; unknown references become errors."""
        out: dict[str, Any] = {}
        for name, _ in REFERENCES:
            key, row_id = getattr(data, name), getattr(data, f"{name}_id")
            row = self.by_id[name].get(row_id) if row_id is not None else None
            if row_id is not None and row is None:
                errors.append(FieldError(f"{name}_id", f"no {name.replace('_', ' ')} with id "
                                         f"{row_id}"))
            if key is not None:
                found = self.by_key[name].get(key)
                if found is None:
                    errors.append(FieldError(name, f"no {name.replace('_', ' ')} '{key}'"))
                elif row is not None and row.id != found.id:
                    errors.append(FieldError(name, f"names a different {name} than {name}_id"))
                row = found
            out[f"{name}_id"] = row.id if row is not None else None
        if out["campaign_id"] is None:
            for name in ("landing_page", "event", "email"):
                row = self.by_id[name].get(out[f"{name}_id"] or -1)
                if row is not None and row.campaign_id is not None:
                    out["campaign_id"] = row.campaign_id
                    break
        return out


def ingest_simple(ingestor: Ingestor, items: Sequence[tuple[int, InteractionIn]],
                  outcomes: dict[int, Outcome]) -> list[tuple[int, InteractionIn]]:
    """Store the simple items set-wise; returns the items to retry one by one."""
    from leadflow.services.ingestion.ingest import Outcome, _when

    types = ingestor.type_catalog()
    catalog = Catalog(ingestor)
    prepared: list[Prepared] = []
    for index, data in items:
        errors: list[FieldError] = []
        try:
            key = types.resolve(data.type)
            attributes = types.typed_attributes(key, data.attributes)
        except LeadflowError as error:
            outcomes[index] = Outcome("error", errors=error.errors)
            continue
        refs = catalog.resolve(data, errors)
        if errors:
            outcomes[index] = Outcome("error", errors=errors)
            continue
        prepared.append(Prepared(index, data, {
            "company_id": ingestor.company.id, "type": key, "occurred_at": _when(data.occurred_at),
            "url": data.url, "link": data.link, "bounce_type": data.bounce_type,
            "duration_seconds": data.duration_seconds, "external_id": data.external_id,
            "source": ingestor.source, "attributes": attributes, "visitor_id": None,
            "lead_id": None, "fingerprint": None, "received_at": _when(None), **refs,
        }))
    prepared, twins = _drop_duplicates(ingestor, prepared, outcomes)
    if not prepared:
        return []
    try:
        with ingestor.session.begin_nested():
            _attach_contacts(ingestor, prepared, outcomes)
            _insert(ingestor, [p for p in prepared if p.index not in outcomes], outcomes)
    except IntegrityError:  # a concurrent writer got there first: redo these one by one
        for p in prepared:
            outcomes.pop(p.index, None)
        return sorted([(p.index, p.data) for p in prepared]
                      + [(i, p.data.model_copy()) for i, p in twins])
    for index, original in twins:
        first = outcomes[original.index]
        outcomes[index] = Outcome("duplicate" if first.status == "created" else first.status,
                                  first.interaction_id, first.contact_id, errors=first.errors)
    return []


def _drop_duplicates(ingestor: Ingestor, prepared: list[Prepared],
                     outcomes: dict[int, Outcome]) -> tuple[list[Prepared],
                                                            list[tuple[int, Prepared]]]:
    """Items already stored are duplicates; so is a second item with the same external id in
    this batch (its twin)."""
    from leadflow.services.ingestion.ingest import Outcome

    ids = {p.values["external_id"] for p in prepared if p.values["external_id"]}
    known: dict[str | None, t.Interaction] = {}
    if ids:
        stmt = select(t.Interaction).where(
            t.Interaction.company_id == ingestor.company.id,
            t.Interaction.source == ingestor.source, t.Interaction.external_id.in_(ids))
        known = {row.external_id: row for row in ingestor.session.scalars(stmt)}
    kept: list[Prepared] = []
    twins: list[tuple[int, Prepared]] = []
    first: dict[str, Prepared] = {}
    for p in prepared:
        external = p.values["external_id"]
        if external and external in known:
            row = known[external]
            outcomes[p.index] = Outcome("duplicate", row.id, row.contact_id, row.lead_id)
        elif external and external in first:
            twins.append((p.index, first[external]))
        else:
            if external:
                first[external] = p
            kept.append(p)
    return kept, twins


def _attach_contacts(ingestor: Ingestor, prepared: list[Prepared],
                     outcomes: dict[int, Outcome]) -> None:
    from leadflow.services.ingestion.ingest import Outcome

    session, company_id = ingestor.session, ingestor.company.id
    emails = {p.data.contact_email for p in prepared if p.data.contact_email}
    ids = {p.data.contact_id for p in prepared if p.data.contact_id is not None}
    found = list(session.execute(select(t.Contact.id, t.Contact.email, t.Contact.account_id)
                                 .where(t.Contact.company_id == company_id,
                                        t.Contact.email.in_(emails) | t.Contact.id.in_(ids))))
    by_email = {email: (cid, acc) for cid, email, acc in found if email}
    by_id = {cid: (cid, acc) for cid, _, acc in found}
    missing = sorted(emails - by_email.keys())
    if missing:
        session.execute(insert(t.Contact), [{"company_id": company_id, "email": e, "custom": {}}
                                            for e in missing])
        for cid, email in session.execute(select(t.Contact.id, t.Contact.email).where(
                t.Contact.company_id == company_id, t.Contact.email.in_(missing))):
            by_email[email] = (cid, None)  # type: ignore[index]
    for p in prepared:
        match = (by_id.get(p.data.contact_id) if p.data.contact_id is not None
                 else by_email.get(p.data.contact_email or ""))
        if match is None:
            outcomes[p.index] = Outcome("error", errors=[FieldError(
                "contact_id", f"no contact with id {p.data.contact_id}")])
            continue
        p.values["contact_id"], p.values["account_id"] = match


def _insert(ingestor: Ingestor, ready: list[Prepared], outcomes: dict[int, Outcome]) -> None:
    from leadflow.services.ingestion.ingest import Outcome

    if not ready:
        return
    stmt = insert(t.Interaction).returning(t.Interaction.id, sort_by_parameter_order=True)
    new_ids = list(ingestor.session.scalars(stmt, [p.values for p in ready]))
    for p, new_id in zip(ready, new_ids, strict=True):
        outcomes[p.index] = Outcome("created", new_id, p.values["contact_id"])
        ingestor.touched[p.values["contact_id"]] = (p.values["account_id"], new_id)
