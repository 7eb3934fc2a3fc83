"""Round robin (SPEC §4): fair over 1,000 leads, weighted, its position stored so it survives
restarts and pool edits, untouched by dry runs, and never giving one turn to two leads created
at the same time."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow import schemas
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import records
from leadflow.services.resources import CONTACTS, LEADS
from tests.conftest import Tenant
from tests.integration.assignment_world import bulk_leads, lead, owners, rule, run, users

POOL = ["ana@s.test", "ben@s.test", "cy@s.test"]


def seats(db: Database) -> dict[int, int]:
    with db.transaction() as session:
        return dict(session.execute(select(t.RoundRobinMember.user_id,
                                           t.RoundRobinMember.served)).all())


def test_a_thousand_leads_are_shared_within_one_of_each_other(
    api: TestClient, db: Database, site: Tenant
) -> None:
    users(api, *POOL)
    rule(api, name="Pool", assign={"round_robin": POOL})
    bulk_leads(db, site.company.id, 1000)
    report = run(api, all=True)
    assert report["counts"]["assigned"] == 1000
    counts = Counter(owners(db, site.company.id).values())
    assert set(counts) == set(POOL)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_weights_are_respected_over_a_thousand_leads(api: TestClient, db: Database,
                                                     site: Tenant) -> None:
    users(api, *POOL)
    pool = [{"user": "ana@s.test", "weight": 1}, {"user": "ben@s.test", "weight": 3},
            {"user": "cy@s.test", "weight": 6}]
    rule(api, name="Pool", assign={"round_robin": pool})
    bulk_leads(db, site.company.id, 1000)
    run(api, all=True)
    counts = Counter(owners(db, site.company.id).values())
    assert counts == Counter({"ana@s.test": 100, "ben@s.test": 300, "cy@s.test": 600})


def test_the_position_survives_a_restart(api: TestClient, db: Database, database_url: str,
                                         site: Tenant) -> None:
    users(api, *POOL)
    rule(api, name="Pool", assign={"round_robin": POOL})
    first = [lead(api)["owner"] for _ in range(2)]
    restarted = Database(database_url)  # a new engine: nothing kept in memory
    try:
        with restarted.transaction() as session:
            person = records.create(session, site.company.id, CONTACTS,
                                    schemas.ContactIn(email="later@x.test"))
            made = records.create(session, site.company.id, LEADS,
                                  schemas.LeadIn(name="Later", contact_id=person.id))
            made_id = made.id
    finally:
        restarted.dispose()
    assert first == ["ana@s.test", "ben@s.test"]
    assert owners(db, site.company.id)[made_id] == "cy@s.test"
    assert lead(api)["owner"] == "ana@s.test"


def test_adding_a_user_gives_them_their_share_not_a_flood(api: TestClient, db: Database,
                                                          site: Tenant) -> None:
    users(api, *POOL)
    made = rule(api, name="Pool", assign={"round_robin": POOL[:2]})
    bulk_leads(db, site.company.id, 100)
    run(api, all=True)
    patched = api.patch(f"/api/v1/assignment-rules/{made['id']}",
                        json={"assign": {"round_robin": POOL}})
    assert patched.status_code == 200, patched.text
    before = Counter(owners(db, site.company.id).values())
    bulk_leads(db, site.company.id, 30)
    run(api, all=True)
    after = Counter(owners(db, site.company.id).values())
    assert after - before == Counter({"ana@s.test": 10, "ben@s.test": 10, "cy@s.test": 10})


def test_removing_a_user_keeps_the_others_places(api: TestClient, db: Database,
                                                 site: Tenant) -> None:
    users(api, *POOL)
    made = rule(api, name="Pool", assign={"round_robin": POOL})
    assert [lead(api)["owner"] for _ in range(4)] == [*POOL, "ana@s.test"]
    before = seats(db)
    api.patch(f"/api/v1/assignment-rules/{made['id']}",
              json={"assign": {"round_robin": ["ana@s.test", "cy@s.test"]}})
    after = seats(db)
    assert len(after) == 2 and all(after[user] == before[user] for user in after)
    # ana already had her turn in this round: cy goes next.
    assert [lead(api)["owner"] for _ in range(3)] == ["cy@s.test", "ana@s.test", "cy@s.test"]


def test_a_dry_run_lists_the_changes_and_writes_nothing(api: TestClient, db: Database,
                                                        site: Tenant) -> None:
    users(api, *POOL[:2])
    rule(api, name="Pool", assign={"round_robin": POOL[:2]}, set={"territory": "west"})
    ids = bulk_leads(db, site.company.id, 3)
    position = seats(db)

    def snapshot() -> tuple[Any, ...]:
        with db.transaction() as session:
            counts = [session.scalar(select(func.count()).select_from(table))
                      for table in (t.Assignment, t.DomainEvent)]
            leads = session.execute(select(t.Lead.owner_id, t.Lead.territory)).all()
            return (*counts, tuple(leads))

    before = snapshot()
    planned = run(api, all=True, dry_run=True)
    assert planned["dry_run"] is True
    assert [(i["lead_id"], i["owner"]["new"], i["set"]) for i in planned["items"]] == [
        (ids[0], "ana@s.test", {"territory": {"old": None, "new": "west"}}),
        (ids[1], "ben@s.test", {"territory": {"old": None, "new": "west"}}),
        (ids[2], "ana@s.test", {"territory": {"old": None, "new": "west"}})]
    assert snapshot() == before
    assert seats(db) == position  # the round robin did not move
    done = run(api, all=True)
    assert [(i["lead_id"], i["owner"]["new"]) for i in done["items"]] == [
        (i["lead_id"], i["owner"]["new"]) for i in planned["items"]]


def test_leads_created_at_the_same_time_never_share_a_turn(
    api: TestClient, db: Database, site: Tenant
) -> None:
    users(api, *POOL[:2])
    rule(api, name="Pool", assign={"round_robin": POOL[:2]})
    with db.transaction() as session:
        people = [records.create(session, site.company.id, CONTACTS,
                                 schemas.ContactIn(email=f"p{i}@x.test")).id for i in range(8)]
    start = threading.Barrier(len(people))
    failures: list[BaseException] = []

    def create(contact_id: int) -> None:
        try:
            start.wait()
            with db.transaction() as session:
                records.create(session, site.company.id, LEADS,
                               schemas.LeadIn(name="Racing", contact_id=contact_id))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=create, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Counter(owners(db, site.company.id).values()) == Counter(
        {"ana@s.test": 4, "ben@s.test": 4})
    assert sorted(seats(db).values()) == [4, 4]
