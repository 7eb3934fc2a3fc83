"""Full rescore benchmark (SPEC §7): N leads, 20·N interactions, the 10-rule `BENCH_MODEL`,
on PostgreSQL. Reports the compiled query, the hand-written query (bench/handwritten.py) and
the whole bulk rescore as publishing runs it (query + writing scores and ledger).

    python -m bench.scoring_bench --leads 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The database must be empty (the benchmark migrates it and writes one company); the world is
generated inside PostgreSQL with generate_series, so building 20 M interactions takes minutes.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.handwritten import BENCH_MODEL, handwritten_params, handwritten_sql
from leadflow.db import bulk_scores
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.scoring import BUILTIN_SCHEMA, parse_text
from leadflow.scoring.sql import compile_model
from leadflow.services.scoring import models
from leadflow.services.scoring.bulk import BulkRescorer

AS_OF = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TYPES = ["email_clicked", "email_opened", "email_opened", "email_opened", "website_visited",
         "website_visited", "form_submitted", "event_attended", "email_delivered",
         "email_unsubscribed"]

WORLD_SQL = [
    # accounts: one for ten leads
    """INSERT INTO accounts (company_id, name, domain, employees, custom, created_at, updated_at)
       SELECT :c, 'Account ' || g, 'a' || g || '.test', (g * 37) % 2000, '{}', :t, :t
       FROM generate_series(1, :accounts) g""",
    # contacts: one per lead, each in an account
    """INSERT INTO contacts (company_id, email, job_title, country, account_id, custom,
                            created_at, updated_at)
       SELECT :c, 'p' || g || '@a.test',
              (ARRAY['ceo', 'cto', 'engineer', 'analyst', 'vp sales', NULL])[1 + g % 6],
              (ARRAY['us', 'fr', 'gb', 'de', 'ca'])[1 + g % 5],
              :first_account + (g % :accounts), '{}', :t, :t
       FROM generate_series(0, :leads - 1) g""",
    # leads: one per contact; one in ten of account scope, one in fifty recycled
    """INSERT INTO leads (company_id, name, scope, contact_id, account_id, campaign_id,
                         program_id, priority, stage, sales_ready, source, custom, recycled_at,
                         created_at, updated_at)
       SELECT :c, 'Lead ' || g, CASE WHEN g % 10 = 0 THEN 'account' ELSE 'contact' END,
              :first_contact + g, :first_account + (g % :accounts),
              CASE WHEN g % 3 = 0 THEN :campaign END, CASE WHEN g % 3 = 1 THEN :program END,
              (ARRAY['low', 'normal', 'high', 'urgent'])[1 + g % 4], 'nurture', false, 'import',
              '{}', CASE WHEN g % 50 = 0 THEN :t - interval '20 days' END, :t, :t
       FROM generate_series(0, :leads - 1) g""",
    # interactions: twenty per lead over the last year
    """INSERT INTO interactions (company_id, type, occurred_at, received_at, source, contact_id,
                                account_id, campaign_id, url, attributes)
       SELECT :c, (CAST(:types AS text[]))[1 + (g * 7919) % 10],
              :t - ((g * 104729) % 31536000) * interval '1 second', :t, 'api',
              :first_contact + (g % :leads), :first_account + ((g % :leads) % :accounts),
              CASE WHEN g % 2 = 0 THEN :campaign END,
              'https://acme.test/' || CASE WHEN g % 5 = 0 THEN 'pricing' ELSE 'blog' END,
              '{}'
       FROM generate_series(CAST(0 AS bigint), :interactions - 1) g""",
]


def build_world(database: Database, leads: int) -> int:
    """One company with the benchmark world; its id."""
    with database.transaction() as session:
        company = t.Company(key="bench", name="Bench")
        session.add(company)
        session.flush()
        program = t.Program(company_id=company.id, key="launch", name="Launch")
        session.add(program)
        session.flush()
        campaign = t.Campaign(company_id=company.id, key="spring", name="Spring",
                              program_id=program.id)
        session.add(campaign)
        session.flush()
        params: dict[str, Any] = {
            "c": company.id, "t": AS_OF, "leads": leads, "accounts": max(1, leads // 10),
            "interactions": leads * 20, "campaign": campaign.id, "program": program.id,
            "types": TYPES,
        }
        company_id = company.id
    for statement in WORLD_SQL:
        with database.transaction() as session:
            params["first_account"] = _first(session, t.Account, company_id)
            params["first_contact"] = _first(session, t.Contact, company_id)
            started = time.perf_counter()
            session.execute(text(statement), params)
            print(f"  {statement.split()[2]}: {time.perf_counter() - started:.1f} s")
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return company_id


def _first(session: Session, table: Any, company_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.min(table.id), 0))
                              .where(table.company_id == company_id)) or 0)


def timed(label: str, work: Any, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    print(f"{label}: {best:.2f} s (best of {runs})")
    return best


def run(url: str, leads: int, runs: int) -> dict[str, float]:
    database = Database(url)
    if database.dialect != "postgresql":
        raise SystemExit("the scoring benchmark runs on PostgreSQL (SPEC §7)")
    database.migrate()
    print(f"== building {leads:,} leads and {leads * 20:,} interactions")
    company_id = build_world(database, leads)
    model = parse_text(BENCH_MODEL)

    def compiled() -> None:
        with database.transaction() as session:
            bulk_scores.tune_for_bulk(session)
            sources = bulk_scores.sources(company_id, 0, AS_OF, True, None)
            query = compile_model(model, sources, BUILTIN_SCHEMA).subquery()
            session.execute(select(func.count()).select_from(query)).scalar()

    def handwritten() -> None:
        with database.transaction() as session:
            bulk_scores.tune_for_bulk(session)
            query = f"SELECT count(*) FROM ({handwritten_sql('postgresql')}) AS q"
            session.execute(text(query), handwritten_params(company_id, AS_OF, "postgresql"))

    results = {"compiled": timed("compiled query", compiled, runs),
               "handwritten": timed("hand-written query", handwritten, runs)}
    print(f"ratio compiled / hand-written: {results['compiled'] / results['handwritten']:.2f}")
    with database.transaction() as session:
        models.save(session, company_id, model)
        models.publish(session, company_id, model.key)

    def full() -> None:
        with database.transaction() as session:
            company = session.get(t.Company, company_id)
            assert company is not None
            BulkRescorer(session, company, AS_OF).run("rescore")

    results["full_first"] = timed("full rescore, first publish (writes every score)", full, 1)
    results["full_again"] = timed("full rescore again (nothing changed)", full, 1)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    run(args.database_url, args.leads, args.runs)


if __name__ == "__main__":
    main()
