"""A batch's plain activity is stored set-wise (services/ingestion/bulk.py); every other item
goes one by one. Both paths must store the same rows and report the same outcomes, so the
set-based one may be optimised freely: this runs one batch both ways and compares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow.db.database import Database
from leadflow.db.tables import Company, Contact, Interaction
from leadflow.services.ingestion import bulk
from leadflow.services.ingestion.ingest import Ingestor

URL = "/api/v1/interactions"
WHEN = "2026-03-01T10:00:00+02:00"


@pytest.fixture
def catalog(api: TestClient) -> dict[str, int]:
    """Programs, campaigns, a page, an event and an email; a known contact and a stored
    interaction; returns their ids by name."""
    ids: dict[str, int] = {}
    for kind, body in [
        ("programs", {"key": "launch", "name": "Launch"}),
        ("campaigns", {"key": "spring", "name": "Spring", "program": "launch"}),
        ("campaigns", {"key": "fall", "name": "Fall"}),
        ("landing-pages", {"key": "spring-form", "name": "Spring", "campaign": "spring"}),
        ("events", {"key": "summit", "name": "Summit", "campaign": "spring"}),
        ("emails", {"key": "invite", "name": "Invite", "campaign": "fall"}),
        ("emails", {"key": "loose", "name": "No campaign"}),
        ("contacts", {"email": "known@acme.test"}),
    ]:
        response = api.post(f"/api/v1/{kind}", json=body)
        assert response.status_code == 201, response.text
        ids[str(body.get("key", body.get("email")))] = response.json()["id"]
    stored = api.post(URL, json={"type": "email_opened", "contact_email": "known@acme.test",
                                 "external_id": "stored", "occurred_at": WHEN})
    ids["stored"] = stored.json()["id"]
    return ids


def items(ids: dict[str, int]) -> list[dict[str, Any]]:
    """Plain activity of every shape the set-based path takes, with its failure cases."""
    return [
        {"type": "email_opened", "contact_email": "ana@acme.test", "email": "invite",
         "external_id": "e1", "occurred_at": WHEN},
        {"type": "EmailClicked", "contact_email": " ANA@acme.test", "link": "https://a.test/x",
         "campaign": "spring", "occurred_at": WHEN},
        {"type": "website_visited", "contact_email": "new@acme.test", "url": "https://a.test/",
         "landing_page": "spring-form", "duration_seconds": 12, "occurred_at": WHEN},
        {"type": "email_opened", "contact_id": ids["known@acme.test"], "event": "summit",
         "occurred_at": WHEN},
        {"type": "email_opened", "contact_email": "ana@acme.test", "email_id": ids["loose"],
         "program": "launch", "occurred_at": WHEN},
        {"type": "email_bounced", "contact_email": "ana@acme.test", "bounce_type": "hard",
         "attributes": {"reason": "mailbox full"}, "occurred_at": WHEN},
        {"type": "email_opened", "contact_email": "ana@acme.test"},  # occurred: now
        {"type": "email_opened", "contact_id": 999_999, "occurred_at": WHEN},
        {"type": "email_opened", "contact_email": "ana@acme.test", "campaign": "nope"},
        {"type": "email_opened", "contact_email": "ana@acme.test", "campaign_id": 999_999},
        {"type": "email_opened", "contact_email": "ana@acme.test", "campaign": "spring",
         "campaign_id": ids["fall"]},
        {"type": "no_such_type", "contact_email": "ana@acme.test"},
        {"type": "email_opened", "contact_email": "not an email"},
        {"type": "email_opened", "contact_email": "ana@acme.test", "external_id": "e1",
         "occurred_at": WHEN},  # its twin, earlier in this batch
        {"type": "email_opened", "contact_email": "bob@acme.test", "external_id": "stored"},
        {"type": "email_clicked", "contact_email": "new@acme.test", "external_id": "e2",
         "occurred_at": WHEN},
    ]


def ingest(db: Database, company_id: int, batch: list[dict[str, Any]], set_based: bool,
           monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any], list[Any]]:
    """Outcomes of the batch sent twice and the rows it stored, with the ids this run made
    replaced by their rank and contacts by their email; nothing is kept."""
    with monkeypatch.context() as patch:
        if not set_based:
            patch.setattr(bulk, "is_simple", lambda data, key: False)
        with db.sessions() as session:
            session.begin()
            company = session.get(Company, company_id)
            assert company is not None
            before = session.scalar(select(func.max(Interaction.id))) or 0
            first = Ingestor(session, company).batch(batch)
            again = Ingestor(session, company).batch(batch)
            rows = [dict(row) for row in session.execute(
                select(Interaction.__table__).where(Interaction.id > before)
                .order_by(Interaction.id)).mappings()]
            emails = {cid: email for cid, email in session.execute(
                select(Contact.id, Contact.email))}
            session.rollback()
    rank = {row["id"]: f"new {n}" for n, row in enumerate(rows)}
    # Ids are given in order, without gaps, as the database gives them to one writer.
    assert list(rank) == list(range(rows[0]["id"], rows[0]["id"] + len(rows)))
    now = datetime.now(UTC)

    def outcome(o: Any) -> dict[str, Any]:
        body = o.as_dict()
        body["id"] = rank.get(body["id"], body["id"])
        body["contact_id"] = emails.get(body["contact_id"])
        return body

    def stored(row: dict[str, Any]) -> dict[str, Any]:
        row = {**row, "id": rank[row["id"]], "contact_id": emails.get(row["contact_id"])}
        row.pop("received_at")
        if abs(row["occurred_at"] - now) < timedelta(hours=1):
            row["occurred_at"] = "now"
        return row

    return [outcome(o) for o in first], [outcome(o) for o in again], [stored(r) for r in rows]


def test_set_based_and_one_by_one_paths_store_and_report_the_same(
    db: Database, site: Any, catalog: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = items(catalog)
    set_based = ingest(db, site.company.id, batch, True, monkeypatch)
    one_by_one = ingest(db, site.company.id, batch, False, monkeypatch)
    assert set_based == one_by_one
    first, again, rows = set_based
    assert [o["status"] for o in first] == (
        ["created"] * 7 + ["error"] * 6 + ["duplicate"] * 2 + ["created"])
    assert [o["status"] for o in again] == (  # the items with an external id are known
        ["duplicate"] + ["created"] * 6 + ["error"] * 6 + ["duplicate"] * 3)
    assert len(rows) == 8 + 6
    assert first[0]["id"] == first[13]["id"] and first[14]["id"] == catalog["stored"]
    campaigns = [row["campaign_id"] for row in rows[:6]]
    assert campaigns == [catalog["fall"], catalog["spring"], catalog["spring"],
                         catalog["spring"], None, None]  # implied by email, page and event


def test_a_batch_of_new_contacts_stores_each_once(
    db: Database, site: Any, catalog: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = [{"type": "email_opened", "contact_email": f"p{n % 7}@acme.test",
              "external_id": f"x{n}", "occurred_at": WHEN} for n in range(30)]
    set_based = ingest(db, site.company.id, batch, True, monkeypatch)
    assert set_based == ingest(db, site.company.id, batch, False, monkeypatch)
    assert [o["status"] for o in set_based[0]] == ["created"] * 30
    assert {row["contact_id"] for row in set_based[2]} == {f"p{n}@acme.test" for n in range(7)}


def test_an_external_id_stored_meanwhile_by_another_writer_is_a_duplicate(
    db: Database, site: Any, catalog: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch looked its external ids up before another writer stored one of them: the
    insert fails on the unique key, and the batch is redone item by item, losing nothing."""
    real = bulk._drop_duplicates

    def stale(ingestor: Ingestor, prepared: Any, outcomes: Any) -> Any:
        hidden = [p for p in prepared if p.values["external_id"] != "stored"]
        kept, twins = real(ingestor, hidden, outcomes)
        return kept + [p for p in prepared if p not in hidden], twins

    monkeypatch.setattr(bulk, "_drop_duplicates", stale)
    batch = [{"type": "email_opened", "contact_email": "ana@acme.test", "external_id": "a"},
             {"type": "email_opened", "contact_email": "bob@acme.test", "external_id": "stored"},
             {"type": "email_clicked", "contact_email": "ana@acme.test"}]
    with db.transaction() as session:
        company = session.get(Company, site.company.id)
        assert company is not None
        outcomes = [o.as_dict() for o in Ingestor(session, company).batch(batch)]
    assert [o["status"] for o in outcomes] == ["created", "duplicate", "created"]
    assert outcomes[1]["id"] == catalog["stored"]
    with db.transaction() as session:
        stored = session.scalars(select(Interaction.external_id).order_by(Interaction.id)).all()
        contacts = session.scalars(select(Contact.email).order_by(Contact.id)).all()
    assert stored == ["stored", "a", None]
    assert contacts == ["known@acme.test", "ana@acme.test"]  # bob's came to nothing
