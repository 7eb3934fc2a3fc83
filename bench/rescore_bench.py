"""Rescoring after one interaction, in-process (SPEC §7, issue 4: p99 < 10 ms): the last
figure of bench/ingest_bench.py, alone and without the HTTP part.

The world of the ingest benchmark (N contacts and leads, ten interactions per person of
history, a live 10-rule model); with `--scored` every lead first has its stored scores, as
after a full rescore (the ingest benchmark's batches score most leads before it measures).
Then `Rescorer.activity` + flush for a random contact, each in its own transaction. Besides
wall-clock percentiles it prints CPU time per rescore, steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time

from sqlalchemy import text

from bench.import_bench import calibrate
from bench.ingest_bench import _p99, rescore_latencies, world
from leadflow.db import tables as t
from leadflow.db.database import Database


def score_every_lead(database: Database, people: int) -> None:
    """Stored scores for every lead (PostgreSQL: analysed afterwards, as a database in use is)."""
    from leadflow.services.scoring.rescore import Rescorer

    with database.transaction() as session:
        company = session.get(t.Company, 1)
        assert company is not None
        Rescorer(session, company).leads(range(1, people + 1), "rescore")
    if database.dialect == "postgresql":
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None, help="an empty database (else SQLite)")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--scored", action="store_true", help="score every lead first")
    args = parser.parse_args(argv)
    database = Database(args.database_url
                        or f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench.db')}")
    world(database, args.people)
    if args.scored:
        score_every_lead(database, args.people)
    rescore_latencies(database, args.people, 20, random.Random(1))  # warm up
    started = time.process_time()
    latencies = rescore_latencies(database, args.people, args.count, random.Random(7))
    cpu = (time.process_time() - started) * 1000 / args.count
    print(f"machine: {calibrate():.0f} ns per iteration of a trivial Python loop")
    print(f"rescoring after one interaction ({database.dialect}"
          f"{', every lead scored' if args.scored else ''}): "
          f"p50 {statistics.median(latencies):.2f} ms, p99 {_p99(latencies):.2f} ms; "
          f"CPU {cpu:.2f} ms per rescore (with its transaction)")


if __name__ == "__main__":
    main()
