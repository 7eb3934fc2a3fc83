"""CSV import of contacts (SPEC §7: at least 20,000 contacts/s, memory flat in the input size).

    .venv/bin/python -m bench.import_bench --rows 200000 [--database-url URL] [--profile F]

Generates a seeded CSV file of N contacts (one account per 20 contacts) under /tmp, imports it
into a fresh, migrated SQLite file (or the empty database at --database-url), and prints
rows/s and the peak RSS of the process. Run it with two sizes to see that memory stays flat.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import random
import resource
import tempfile
import time
from pathlib import Path

CITIES = ["Chicago", "Lyon", "Berlin", "Austin", "Osaka", "Lagos", "Lima", "Oslo"]
TITLES = ["CTO", "VP Sales", "Engineer", "Analyst", "CFO", "Designer", None]
HEADER = ["email", "first_name", "last_name", "job_title", "phone", "city", "state",
          "country", "account_domain", "account_name", "external_id"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A CSV file of `rows` contacts, the same for the same seed."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(rows):
            company = number // 20
            writer.writerow([
                f"person{number}@company{company}.test", f"First{number}", f"Last{number}",
                rng.choice(TITLES) or "", f"+1 555 {number:07d}", rng.choice(CITIES), "IL",
                "United States", f"company{company}.test", f"Company {company}", f"C-{number}",
            ])


def calibrate(loops: int = 5_000_000) -> float:
    """CPU nanoseconds per iteration of a trivial Python loop: how fast this machine runs
    Python right now (a crowded VM is much slower than an idle one)."""
    started = time.process_time()
    total = 0
    for number in range(loops):
        total += number
    return (time.process_time() - started) / loops * 1e9


def peak_rss_mib() -> float:
    """The most resident memory this process has used so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int, url: str | None, profile: Path | None) -> None:
    from leadflow.db.database import Database
    from leadflow.services import companies
    from leadflow.services.imports import ImportOptions, run_import

    folder = Path(tempfile.mkdtemp(prefix="leadflow-bench-"))
    source = folder / f"contacts-{rows}.csv"
    generate(source, rows)
    database = Database(url or f"sqlite:///{folder / 'bench.db'}")
    database.migrate()
    with database.transaction() as session:
        company_id = companies.ensure_site(session).id
    errors: list[object] = []
    before = peak_rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    summary = run_import(database.transaction, company_id, ImportOptions("contacts", source),
                         errors.append)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database.dispose()
    print(f"contacts import: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s"
          f" ({summary.counts['created']:,} created, {summary.also_created} also created,"
          f" {summary.failed} failed)")
    # On a busy machine wall time includes waiting for a CPU; CPU time does not.
    print(f"CPU time of this process: {cpu:.2f} s = {rows / cpu:,.0f} rows per CPU-second")
    print(f"machine: {calibrate():.0f} ns per iteration of a trivial Python loop"
          " (lower is faster; compare runs on one machine)")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB (before the import: {before:.0f} MiB);"
          f" file {source.stat().st_size / 2**20:.1f} MiB at {source}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default=None,
                        help="an empty database to use instead of a fresh SQLite file")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    args = parser.parse_args(argv)
    run(args.rows, args.database_url, args.profile)


if __name__ == "__main__":
    main()
