"""Full rescore benchmark (SPEC §7): N leads, 20·N interactions, the 10-rule `BENCH_MODEL`,
on PostgreSQL (the target) or SQLite (reported). Reports the compiled query, the hand-written
query (bench/handwritten.py) and the whole bulk rescore as publishing runs it (query + writing
scores, ledger and sales-ready flags): on a first publish (every score new), again with
nothing changed, and for a new version of the model (every score rewritten to name it).

    python -m bench.scoring_bench --leads 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m bench.scoring_bench --leads 100000      # a fresh SQLite file

The database must be empty (the benchmark migrates it and writes one company), or hold the
world of an earlier run when `--reuse` is given (its scores are removed first); the world is
generated inside the database (generate_series, or a recursive CTE on SQLite), so building
20 M interactions takes minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, update
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

def _pick(values: list[str | None], index: str) -> str:
    """SQL choosing values[index % len(values)] (both databases)."""
    whens = " ".join(f"WHEN {i} THEN {'NULL' if v is None else repr(v)}"
                     for i, v in enumerate(values))
    return f"(CASE ({index}) % {len(values)} {whens} END)"


def _world_sql(dialect: str) -> list[tuple[str, str]]:
    """The statements that build the world; `{n}` is the row number 0…count-1 of each."""
    if dialect == "postgresql":
        rows = "FROM generate_series(CAST(0 AS bigint), {count} - 1) AS g(n)"
        prefix = ""
        moment = ":t - ((n * 104729) % 31536000) * interval '1 second'"
    else:  # SQLite: a recursive CTE counts; moments are text 'YYYY-MM-DD HH:MM:SS.ffffff'
        rows = "FROM g"
        prefix = ("WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g "
                  "WHERE n < {count} - 1) ")
        moment = ("strftime('%Y-%m-%d %H:%M:%S', :t, '-' || ((n * 104729) % 31536000) "
                  "|| ' seconds') || '.000000'")
    titles = _pick(["ceo", "cto", "engineer", "analyst", "vp sales", None], "n")
    countries = _pick(["us", "fr", "gb", "de", "ca"], "n")
    priorities = _pick(["low", "normal", "high", "urgent"], "n")
    types = _pick(list(TYPES), "n * 7919")
    recycled = ("CASE WHEN n % 50 = 0 THEN " + (":t - interval '20 days'" if dialect ==
                "postgresql" else "strftime('%Y-%m-%d %H:%M:%S', :t, '-20 days') || '.000000'")
                + " END")
    statements = [
        ("accounts", ":accounts",
         "INSERT INTO accounts (company_id, name, domain, employees, custom, created_at, "
         "updated_at) {prefix}SELECT :c, 'Account ' || n, 'a' || n || '.test', "
         "(n * 37) % 2000, '{{}}', :t, :t {rows}"),
        ("contacts", ":leads",
         "INSERT INTO contacts (company_id, email, job_title, country, account_id, custom, "
         f"created_at, updated_at) {{prefix}}SELECT :c, 'p' || n || '@a.test', {titles}, "
         f"{countries}, :first_account + (n % :accounts), '{{{{}}}}', :t, :t {{rows}}"),
        ("leads", ":leads",
         "INSERT INTO leads (company_id, name, scope, contact_id, account_id, campaign_id, "
         "program_id, priority, stage, sales_ready, source, custom, recycled_at, created_at, "
         "updated_at) {prefix}SELECT :c, 'Lead ' || n, CASE WHEN n % 10 = 0 THEN 'account' "
         "ELSE 'contact' END, :first_contact + n, :first_account + (n % :accounts), "
         "CASE WHEN n % 3 = 0 THEN :campaign END, CASE WHEN n % 3 = 1 THEN :program END, "
         f"{priorities}, 'nurture', false, 'import', '{{{{}}}}', {recycled}, :t, :t {{rows}}"),
        ("interactions", ":interactions",
         "INSERT INTO interactions (company_id, type, occurred_at, received_at, source, "
         "contact_id, account_id, campaign_id, url, attributes) "
         f"{{prefix}}SELECT :c, {types}, {moment}, :t, 'api', :first_contact + (n % :leads), "
         ":first_account + ((n % :leads) % :accounts), CASE WHEN n % 2 = 0 THEN :campaign END, "
         "'https://acme.test/' || CASE WHEN n % 5 = 0 THEN 'pricing' ELSE 'blog' END, "
         "'{{}}' {rows}"),
    ]
    return [(name, statement.format(prefix=prefix.format(count=count),
                                    rows=rows.format(count=count)))
            for name, count, statement in statements]


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
        moment: Any = AS_OF if database.dialect == "postgresql" else "2026-11-22 12:00:00"
        params: dict[str, Any] = {
            "c": company.id, "t": moment, "leads": leads, "accounts": max(1, leads // 10),
            "interactions": leads * 20, "campaign": campaign.id, "program": program.id,
        }
        company_id = company.id
    for name, statement in _world_sql(database.dialect):
        with database.transaction() as session:
            params["first_account"] = _first(session, t.Account, company_id)
            params["first_contact"] = _first(session, t.Contact, company_id)
            started = time.perf_counter()
            session.execute(text(statement), params)
            print(f"  {name}: {time.perf_counter() - started:.1f} s")
    # As after any bulk load: statistics, and (PostgreSQL) the visibility map, so that
    # autovacuum does not start on the new rows in the middle of a measurement.
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if database.dialect == "postgresql" else "ANALYZE"))
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


def reuse_world(database: Database) -> int | None:
    """The id of a world an earlier run built in this database (None: there is none), with
    the scores, ledger, flags and stage history of its rescores removed, so that the next
    rescore is a first publish again."""
    with database.transaction() as session:
        company_id = session.scalar(select(t.Company.id).where(t.Company.key == "bench"))
        if company_id is None:
            return None
        for table in (t.LeadScore, t.ScoreLedgerEntry, t.DomainEvent, t.StageChange):
            session.execute(delete(table).where(table.company_id == company_id))
        session.execute(update(t.Lead).where(t.Lead.company_id == company_id)
                        .values(sales_ready=False, sales_ready_at=None, stage="nurture"))
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if database.dialect == "postgresql" else "ANALYZE"))
    return int(company_id)


def run(url: str, leads: int, runs: int, reuse: bool = False) -> dict[str, float]:
    database = Database(url)
    database.migrate()
    company_id = reuse_world(database) if reuse else None
    if company_id is None:
        print(f"== building {leads:,} leads and {leads * 20:,} interactions")
        company_id = build_world(database, leads)
    else:
        print("== reusing the world of an earlier run (its scores removed)")
    model = parse_text(BENCH_MODEL)

    def compiled() -> None:
        with database.transaction() as session:
            bulk_scores.tune_for_bulk(session)
            sources = bulk_scores.sources(company_id, 0, AS_OF, True, None, database.dialect)
            query = compile_model(model, sources, BUILTIN_SCHEMA, every_lead=True).subquery()
            session.execute(select(func.count()).select_from(query)).scalar()

    def handwritten() -> None:
        with database.transaction() as session:
            bulk_scores.tune_for_bulk(session)
            dialect = database.dialect
            query = f"SELECT count(*) FROM ({handwritten_sql(dialect)}) AS q"
            session.execute(text(query), handwritten_params(company_id, AS_OF, dialect))

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
    publish_new_version(database, company_id)
    results["full_new_version"] = timed("full rescore, new version (rewrites every score)",
                                        full, 1)
    return results


def publish_new_version(database: Database, company_id: int) -> None:
    """The usual publish: a new version of the live benchmark model (same rules), so every
    stored score is rewritten to name it, though none changes."""
    model = parse_text(BENCH_MODEL)
    with database.transaction() as session:
        models.save(session, company_id, replace(model, description=f"republished {time.time()}"))
        models.publish(session, company_id, model.key)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None,
                        help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the world an earlier run left in --database-url")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'scoring.db'}"
    run(url, args.leads, args.runs, args.reuse)


if __name__ == "__main__":
    main()
