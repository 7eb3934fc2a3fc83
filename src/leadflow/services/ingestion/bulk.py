"""The set-based path for batches of behaviour interactions (opens, clicks, visits …).

A batch item that only records activity of a contact known by id or email needs no lead
generation, no form fields and no visitor identification, so the whole batch is stored with a
few set-based queries: one lookup of external ids, one of contacts by email (and one by id
when items name them so), one bulk insert of new contacts, and one executemany of the
interactions with ids drawn beforehand. Everything else takes the item-by-item path. Both
paths give the same stored rows and outcomes (tests/integration/test_ingestion_batch_paths.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from leadflow.db import ingestion as queries
from leadflow.db import tables as t
from leadflow.errors import FieldError, LeadflowError
from leadflow.services.ingestion.inputs import InteractionIn
from leadflow.services.ingestion.types import LEAD_INTERACTIONS

if TYPE_CHECKING:
    from leadflow.services.ingestion.ingest import Ingestor, Outcome

TABLES = {"campaign": t.Campaign, "program": t.Program, "email": t.MarketingEmail,
          "landing_page": t.LandingPage, "event": t.Event}
ID_COLUMNS = tuple(f"{name}_id" for name in TABLES)


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
    """The company's marketing records by key and by id, loaded once per batch; each kind only
    when an item names one of them (a batch of opens and clicks usually names none)."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.session, self.company_id = ingestor.session, ingestor.company.id
        self.kinds: dict[str, tuple[dict[str, Any], dict[int, Any]]] = {}

    def kind(self, name: str) -> tuple[dict[str, Any], dict[int, Any]]:
        """The records of one kind, by key and by id."""
        if name not in self.kinds:
            table: Any = TABLES[name]
            rows: list[Any] = list(self.session.scalars(
                select(table).where(table.company_id == self.company_id)))
            self.kinds[name] = ({r.key: r for r in rows}, {r.id: r for r in rows})
        return self.kinds[name]

    def resolve(self, data: InteractionIn, errors: list[FieldError]) -> dict[str, Any]:
        """`{<name>_id: id}` for the item's references, with the campaign implied by its page,
        event or email; unknown references become errors."""
        out: dict[str, Any] = dict.fromkeys(ID_COLUMNS)
        for name, column in zip(TABLES, ID_COLUMNS, strict=True):
            key, row_id = getattr(data, name), getattr(data, column)
            if key is None and row_id is None:
                continue
            by_key, by_id = self.kind(name)
            row = by_id.get(row_id) if row_id is not None else None
            if row_id is not None and row is None:
                errors.append(FieldError(column, f"no {name.replace('_', ' ')} with id "
                                         f"{row_id}"))
            if key is not None:
                found = by_key.get(key)
                if found is None:
                    errors.append(FieldError(name, f"no {name.replace('_', ' ')} '{key}'"))
                elif row is not None and row.id != found.id:
                    errors.append(FieldError(name, f"names a different {name} than {column}"))
                row = found
            out[column] = row.id if row is not None else None
        if out["campaign_id"] is None:
            for name in ("landing_page", "event", "email"):
                if out[f"{name}_id"] is None:
                    continue
                row = self.kind(name)[1].get(out[f"{name}_id"])
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

    session = ingestor.session
    ids = {p.values["external_id"] for p in prepared if p.values["external_id"]}
    known: dict[str | None, t.Interaction] = {}
    if ids:
        stmt = select(t.Interaction).where(
            t.Interaction.company_id == ingestor.company.id,
            t.Interaction.source == ingestor.source,
            queries.one_of(session, t.Interaction.external_id, ids))
        known = {row.external_id: row for row in session.scalars(stmt)}
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
    # Two lookups, not one with `email IN … OR id IN …`: SQLite answers an OR of the two by
    # reading every contact of the company.
    columns = select(t.Contact.id, t.Contact.email, t.Contact.account_id)
    of_company = t.Contact.company_id == company_id
    by_email: dict[str | None, tuple[int, int | None]] = {}
    by_id: dict[int, tuple[int, int | None]] = {}
    if emails:
        by_email = {email: (cid, acc) for cid, email, acc in session.execute(columns.where(
            of_company, queries.one_of(session, t.Contact.email, emails)))}
    if ids:
        by_id = {cid: (cid, acc) for cid, _, acc in session.execute(columns.where(
            of_company, queries.one_of(session, t.Contact.id, ids)))}
    missing = sorted(emails - by_email.keys())
    if missing:
        session.execute(insert(t.Contact), [{"company_id": company_id, "email": e, "custom": {}}
                                            for e in missing])
        for cid, email, _ in session.execute(columns.where(
                of_company, queries.one_of(session, t.Contact.email, missing))):
            by_email[email] = (cid, None)
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
    new_ids = queries.new_interaction_ids(ingestor.session, len(ready))
    for p, new_id in zip(ready, new_ids, strict=True):
        p.values["id"] = new_id
    queries.insert_interactions(ingestor.session, [p.values for p in ready])
    for p, new_id in zip(ready, new_ids, strict=True):
        outcomes[p.index] = Outcome("created", new_id, p.values["contact_id"])
        ingestor.touched[p.values["contact_id"]] = (p.values["account_id"], new_id)
