"""Rescoring after a few interactions (the single-interaction path) stores what rescoring the
same leads by id stores, account leads included; and the company's schema and parsed models,
remembered between rescores, follow every change made in another session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.scoring.model import ScoringModel, model_from_dict
from leadflow.scoring.schema import Schema
from leadflow.services.scoring import models
from leadflow.services.scoring.catalog import company_schema, live_models
from leadflow.services.scoring.rescore import Rescorer
from tests.integration.test_bulk_rescore import (
    ENGAGEMENT,
    NOW,
    first_account_lead,
    publish,
    publish_both,
    stored,
    world_company,
)


def test_activity_of_a_few_people_stores_what_rescoring_their_leads_stores(
    db: Database,
) -> None:
    with db.transaction() as session:
        company = world_company(session, "activity", 5)
        company_id = company.id
        publish_both(session, company_id)
        account_lead = first_account_lead(session, company_id)
        assert account_lead.account_id is not None
        contact = session.scalars(select(t.Contact).where(
            t.Contact.company_id == company_id,
            t.Contact.account_id == account_lead.account_id)).first()
        assert contact is not None
        session.add(t.Lead(company_id=company_id, name="Own", scope="contact",
                           contact_id=contact.id, account_id=contact.account_id,
                           stage="nurture"))
        clicked = t.Interaction(company_id=company_id, type="email_clicked",
                                contact_id=contact.id, account_id=contact.account_id,
                                occurred_at=NOW - timedelta(hours=1))
        session.add(clicked)
        session.flush()
        touched: dict[int, tuple[int | None, int]] = {
            contact.id: (contact.account_id, clicked.id)}

    results = []
    for way in ("activity", "by id"):
        with db.sessions() as session:
            company = session.get(t.Company, company_id)
            assert company is not None
            rescorer = Rescorer(session, company, NOW)
            if way == "activity":
                summary = rescorer.activity(touched)
                found = queries.lead_rows_of_people(session, company_id, [contact.id],
                                                    [account_lead.account_id], 10)
                assert account_lead.id in {lead.id for lead in found}
            else:
                summary = rescorer.contacts([contact.id], [account_lead.account_id],
                                            "interaction", clicked.id)
            session.flush()
            # In id order here; by id, in the order the database returns them.
            results.append((summary.leads, summary.changed, sorted(summary.sales_ready),
                            stored(session, company_id)))
            session.rollback()
    assert results[0] == results[1]
    leads, _, _, written = results[0]
    assert leads >= 2, "the contact's own lead and its account's lead"
    assert any(entry[7] == clicked.id for entry in written["ledger"])


def test_schema_and_live_models_follow_changes_made_in_another_session(db: Database) -> None:
    with db.transaction() as session:
        company = t.Company(key="catalog", name="Catalog")
        session.add(company)
        session.flush()
        company_id = company.id
        publish(session, company_id, ENGAGEMENT)

    def read() -> tuple[Schema, list[ScoringModel]]:
        with db.transaction() as session:
            schema = company_schema(session, company_id)
            return schema, [m.model for m in live_models(session, company_id, schema)]

    schema, parsed = read()
    again, parsed_again = read()
    assert again is schema  # nothing changed: remembered, not built again
    assert [id(m) for m in parsed_again] == [id(m) for m in parsed]

    with db.transaction() as session:
        session.add(t.CustomField(company_id=company_id, key="tier", entity="contact",
                                  type="text"))
    changed, _ = read()
    assert changed is not schema
    contact = changed.entity("Contact")
    assert contact is not None and "tier" in contact.fields

    with db.transaction() as session:
        schema_now = company_schema(session, company_id)
        model = model_from_dict({**models.definition(
            session, models.get(session, company_id, "engagement"), live=True),
            "name": "Engagement again"}, schema_now)
        models.save(session, company_id, model)
        models.publish(session, company_id, "engagement")
    _, republished = read()
    assert [m.name for m in republished] == ["Engagement again"]
