"""`leadflow demo`: the demo world loads on both databases, once, and can be signed in to."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services.demo import CLIENT, SITE, load_demo


def _demo(cli: Any, *args: str) -> dict[str, Any]:
    result = cli("demo", "--no-serve", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _client_id(db: Database) -> int:
    with db.transaction() as session:
        return session.scalars(select(t.Company.id).where(t.Company.key == "northwind")).one()


def test_demo_loads_both_companies_with_the_expected_counts(cli: Any, db: Database) -> None:
    info = _demo(cli)
    assert info["loaded"] is True
    for spec in (SITE, CLIENT):
        counts = info["counts"][spec.key]
        assert counts["accounts"] == spec.accounts
        assert counts["contacts"] == spec.contacts
        assert counts["leads"] == spec.lead_count
        assert counts["campaigns"] == len(spec.catalog.campaigns)
        assert counts["users"] == len(spec.catalog.users)
    with db.transaction() as session:
        names = dict(session.execute(select(t.Company.key, t.Company.name)).all())
        stages = dict(session.execute(
            select(t.Lead.stage, func.count()).where(t.Lead.company_id == _client_id(db))
            .group_by(t.Lead.stage)).all())
    assert names == {"site": "leadflow Agency", "northwind": "Northwind Traders"}
    assert stages == CLIENT.leads


def test_demo_after_init_fills_the_site_and_run_twice_adds_nothing(
    cli: Any, db: Database
) -> None:
    assert cli("init").exit_code == 0
    first = _demo(cli)
    assert first["counts"]["site"]["leads"] == SITE.lead_count
    second = _demo(cli)
    assert second["loaded"] is False
    assert second["counts"] == first["counts"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(t.Company)) == 2
        assert session.scalar(select(func.count()).select_from(t.Lead)) == (
            SITE.lead_count + CLIENT.lead_count)


def test_printed_key_lists_northwind_leads_with_x_company(cli: Any, http: TestClient) -> None:
    result = cli("demo", "--no-serve")
    assert result.exit_code == 0, result.output
    out = result.stdout
    key = re.search(r'Authorization: Bearer (lf_[^"]+)"', out)
    assert key is not None, out
    assert '-H "X-Company: northwind" http://127.0.0.1:8000/api/v1/leads' in out
    assert "http://127.0.0.1:8000/docs" in out
    auth = {"Authorization": f"Bearer {key.group(1)}"}
    northwind = http.get("/api/v1/leads?limit=500", headers={**auth, "X-Company": "northwind"})
    assert northwind.status_code == 200, northwind.text
    assert len(northwind.json()["items"]) == CLIENT.lead_count
    own = http.get("/api/v1/leads?limit=500", headers=auth)
    assert len(own.json()["items"]) == SITE.lead_count
    ready = http.get("/api/v1/leads?stage=sales_ready&sort=-created_at&limit=5",
                     headers={**auth, "X-Company": "northwind"}).json()
    assert [item["stage"] for item in ready["items"]] == ["sales_ready"] * 5
    assert ready["next_cursor"]


def test_demo_reset_is_refused_on_postgresql(
    cli: Any, db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgres"):
        monkeypatch.setenv("LEADFLOW_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    result = cli("demo", "--no-serve", "--reset")
    assert result.exit_code == 1
    assert "only resets an embedded SQLite database" in result.stderr
    assert "Traceback" not in result.output
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(t.Company)) == 0


def test_demo_reset_starts_over_on_a_fresh_sqlite_file(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", url)
    _demo(cli)
    info = _demo(cli, "--reset")
    assert info["loaded"] is True
    database = Database(url)
    try:
        with database.transaction() as session:
            assert session.scalar(select(func.count()).select_from(t.ApiKey)) == 1
            assert session.scalar(select(func.count()).select_from(t.Company)) == 2
    finally:
        database.dispose()


def _snapshot(url: str, seed: int) -> list[tuple[Any, ...]]:
    database = Database(url)
    database.migrate()
    try:
        with database.transaction() as session:
            load_demo(session, seed=seed, now=datetime(2025, 3, 1, tzinfo=UTC))
            accounts = session.execute(select(t.Account.name, t.Account.domain,
                                              t.Account.employees).order_by(t.Account.id))
            contacts = session.execute(select(t.Contact.email, t.Contact.job_title)
                                       .order_by(t.Contact.id))
            leads = session.execute(select(t.Lead.name, t.Lead.stage, t.Lead.source,
                                           t.Lead.owner_id, t.Lead.created_at)
                                    .order_by(t.Lead.id))
            return [*map(tuple, accounts), *map(tuple, contacts), *map(tuple, leads)]
    finally:
        database.dispose()


def test_same_seed_gives_the_same_world(tmp_path: Path) -> None:
    first = _snapshot(f"sqlite:///{tmp_path / 'a.db'}", 7)
    assert first == _snapshot(f"sqlite:///{tmp_path / 'b.db'}", 7)
    assert first != _snapshot(f"sqlite:///{tmp_path / 'c.db'}", 8)


def test_demo_leads_are_consistent_with_the_lead_rules(db: Database) -> None:
    with db.transaction() as session:
        world = load_demo(session)
        company = world.client.id
        leads = list(session.scalars(select(t.Lead).where(t.Lead.company_id == company)))
        contacts = {c.id: c for c in session.scalars(
            select(t.Contact).where(t.Contact.company_id == company))}
        campaigns = {c.id: c for c in session.scalars(
            select(t.Campaign).where(t.Campaign.company_id == company))}
        newsletter = session.scalars(select(t.LandingPage.id).where(
            t.LandingPage.company_id == company, t.LandingPage.key == "newsletter")).one()
    targets = Counter((lead.scope, lead.contact_id or lead.account_id, lead.campaign_id,
                       lead.program_id) for lead in leads)
    assert max(targets.values()) == 1
    assert {lead.source for lead in leads} == {"manual", "auto", "import", "api"}
    assert sum(lead.scope == "account" for lead in leads) == CLIENT.account_leads
    for lead in leads:
        if lead.scope == "contact":
            assert lead.account_id == contacts[lead.contact_id or 0].account_id
        else:
            assert lead.account_id is not None and lead.contact_id is None
        if lead.campaign_id is not None:
            assert lead.program_id == campaigns[lead.campaign_id].program_id
        assert lead.origin_landing_page_id != newsletter
        assert (lead.origin is not None) == (lead.source == "auto")
        assert lead.sales_ready == (lead.sales_ready_at is not None)
