"""Where a whole rescore's time goes, statement by statement, on the world `bench.scoring_bench`
built in a database (run it first, with the same `--database-url`).

    URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m bench.publish_split --database-url $URL first  # scores, ledger, flags removed
    python -m bench.publish_split --database-url $URL again        # nothing changed
    python -m bench.publish_split --database-url $URL new-version  # a new version, same rules

Prints the time of each kind of statement (summed over its runs), slowest first, and the total.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import event, select

from bench.scoring_bench import AS_OF, publish_new_version, reuse_world
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services.scoring.bulk import BulkRescorer


def timed_statements(database: Database) -> list[tuple[float, str]]:
    """A list that every SQL statement run from now on adds (seconds, its first words) to."""
    timings: list[tuple[float, str]] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _started(connection: Any, *_: Any) -> None:
        connection.info["started"] = time.perf_counter()

    @event.listens_for(database.engine, "after_cursor_execute")
    def _ended(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - connection.info["started"]
        timings.append((took, " ".join(statement.split())[:60]))

    return timings


def run(url: str, mode: str) -> None:
    database = Database(url)
    with database.transaction() as session:
        company_id = session.scalar(select(t.Company.id).where(t.Company.key == "bench"))
    if company_id is None:
        raise SystemExit("no benchmark world here: run bench.scoring_bench first")
    if mode == "first":
        reuse_world(database)
    elif mode == "new-version":
        publish_new_version(database, company_id)
    timings = timed_statements(database)
    started = time.perf_counter()
    with database.transaction() as session:
        company = session.get(t.Company, company_id)
        assert company is not None
        summary = BulkRescorer(session, company, AS_OF).run("rescore")
    total = time.perf_counter() - started
    kinds: dict[str, tuple[int, float]] = {}
    for took, statement in timings:
        runs, spent = kinds.get(statement, (0, 0.0))
        kinds[statement] = (runs + 1, spent + took)
    for statement, (runs, spent) in sorted(kinds.items(), key=lambda kv: -kv[1][1])[:12]:
        print(f"{spent:8.2f} s  ×{runs:<4d} {statement}")
    print(f"total {total:.1f} s; scores changed {summary.changed:,}, "
          f"newly sales-ready {len(summary.sales_ready):,}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True,
                        help="the database bench.scoring_bench built its world in")
    parser.add_argument("mode", choices=["first", "again", "new-version"])
    args = parser.parse_args(argv)
    run(args.database_url, args.mode)


if __name__ == "__main__":
    main()
