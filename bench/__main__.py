"""Entry point of `make bench`: every benchmark at its default size (see docs/performance.md).

Ingestion and the CSV import run on fresh SQLite files (the embedded default). The full
rescore runs on the empty database named by `LEADFLOW_BENCH_DATABASE_URL` (PostgreSQL: the
target of SPEC §7), else on a fresh SQLite file. Each benchmark can also run alone with its own
options: `python -m bench.ingest_bench --help`, `python -m bench.import_bench --help`,
`python -m bench.scoring_bench --help`.
"""

from __future__ import annotations

import os

from bench import import_bench, ingest_bench, scoring_bench


def main() -> None:
    print("== ingest with scoring through the HTTP API (SQLite)")
    ingest_bench.report(ingest_bench.run(None, people=20_000, batches=10, singles=500))
    print("== CSV import of contacts (SQLite)")
    import_bench.main(["--rows", "200000"])
    url = os.environ.get("LEADFLOW_BENCH_DATABASE_URL")
    print(f"== full rescore ({'LEADFLOW_BENCH_DATABASE_URL' if url else 'SQLite'})")
    scoring_bench.main(["--leads", "100000", *(["--database-url", url] if url else [])])


if __name__ == "__main__":
    main()
