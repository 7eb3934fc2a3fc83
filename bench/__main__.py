"""Entry point of `make bench`: every benchmark at its default size (see docs/performance.md).

Each benchmark can also run alone with its own options:
`python -m bench.ingest_bench --help`, `python -m bench.import_bench --help`.
"""

from __future__ import annotations

import os

from bench import import_bench, ingest_bench


def main() -> None:
    # An empty database to measure on (e.g. PostgreSQL); by default fresh SQLite files.
    url = os.environ.get("LEADFLOW_BENCH_DATABASE_URL")
    print("== ingest with scoring through the HTTP API")
    result = ingest_bench.run(url, people=20_000, batches=10, singles=500)
    print(f"batch ingest with scoring: {result['batch_per_second']:.0f} interactions/s")
    print(f"single interaction: p50 {result['single_p50_ms']:.1f} ms, "
          f"p99 {result['single_p99_ms']:.1f} ms")
    print("== CSV import of contacts")
    import_bench.main(["--rows", "200000", *(["--database-url", url] if url else [])])


if __name__ == "__main__":
    main()
