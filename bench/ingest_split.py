"""Where a batch's server time goes: the work of `POST /interactions` with 1,000 items, run
in-process over the world of `bench/ingest_bench.py`, split into request handling (JSON,
validation, outcomes), storing (the set-based path of services/ingestion/bulk.py), rescoring
the touched leads, and the commit.

CPU time (time.process_time) is the figure to compare on a shared machine; wall time is given
too because on PostgreSQL most of the work happens in the database's own process. With
`--profile FILE` the batches also run under cProfile (slower; read FILE with pstats).

    python -m bench.ingest_split --people 20000 --batches 20
    python -m bench.ingest_split --database-url postgresql+psycopg://…/ibench2
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.ingest_bench import item, world
from leadflow.api import interactions as route
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services.ingestion import bulk
from leadflow.services.ingestion.ingest import Ingestor
from leadflow.services.keys import Actor

PARTS = ("storing", "rescoring", "commit")


class Clock:
    """CPU and wall seconds spent in each part."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}
        self.reset()

    def reset(self) -> None:
        self.cpu.update(dict.fromkeys(PARTS, 0.0))
        self.wall.update(dict.fromkeys(PARTS, 0.0))

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.cpu[name] += time.process_time() - cpu
            self.wall[name] += time.perf_counter() - wall

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.part(name):
                return function(*args, **kwargs)
        return wrapper


def run(url: str | None, people: int, batches: int, profile: str | None) -> None:
    database = Database(url or f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'split.db')}")
    world(database, people)
    rng = random.Random(7)
    bodies = [json.dumps({"items": [item(rng, people) for _ in range(1000)]}).encode()
              for _ in range(batches + 2)]
    clock = Clock()
    bulk.ingest_simple = clock.timed("storing", bulk.ingest_simple)
    Ingestor.rescore_touched = clock.timed(  # type: ignore[method-assign]
        "rescoring", Ingestor.rescore_touched)

    def request(body: bytes) -> None:
        with database.sessions() as session:
            session.begin()
            company = session.get(t.Company, 1)
            assert company is not None
            response = route._ingest(session, Actor(company, company, "ingest", None),
                                     json.loads(body))
            assert response.status_code == 200
            with clock.part("commit"):
                session.commit()

    for body in bodies[:2]:  # warm-up: caches, compiled statements
        request(body)
    clock.reset()
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    for body in bodies[2:]:
        if profiler:
            profiler.enable()
        request(body)
        if profiler:
            profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler and profile:
        profiler.dump_stats(profile)
    for label, total, spent in (("CPU", cpu, clock.cpu), ("wall", wall, clock.wall)):
        parts = "; ".join(f"{name} {spent[name] / batches * 1000:.1f}" for name in PARTS)
        rest = (total - sum(spent.values())) / batches * 1000
        print(f"{label} per batch of 1,000: {total / batches * 1000:.1f} ms = "
              f"request handling {rest:.1f}; {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--profile", default=None, help="write cProfile stats to this file")
    args = parser.parse_args()
    run(args.database_url, args.people, args.batches, args.profile)


if __name__ == "__main__":
    main()
