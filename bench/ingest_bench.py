"""Ingestion with scoring through the HTTP API (SPEC §7: ≥ 5,000 interactions/s in batches,
p99 < 50 ms for a single interaction).

A real uvicorn server runs in its own process on loopback over a fresh database with N
contacts, N leads, ten interactions per person of history (with planner statistics, as a
database in use has) and a live 10-rule model; batches of 1,000 interactions then single
interactions are sent with httpx.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from sqlalchemy import insert, text

import leadflow.bootstrap  # noqa: F401
from leadflow.api.app import create_app
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.scoring.model import model_from_dict
from leadflow.services import companies, keys
from leadflow.services.scoring import models

TYPES = ("email_opened", "email_clicked", "website_visited")
HISTORY = 10  # interactions per person already stored when the benchmark starts
MODEL: dict[str, Any] = {
    "key": "bench", "name": "Bench", "sales_ready_score": 150,
    "rules": [{"name": f"rule {k}", "points": k + 1, "limit": 20, "conditions": [
        {"entity": ("EmailOpened", "EmailClicked", "WebsiteVisited")[k % 3],
         "frequency": "each", "window": {"days": 30 + 10 * k}}]} for k in range(10)],
}


def world(database: Database, people: int) -> str:
    """A company with `people` contacts and leads, a year of their activity, a live model and
    (PostgreSQL) fresh statistics; returns an ingest key."""
    database.migrate()
    with database.transaction() as session:
        site = companies.ensure_site(session)
        session.execute(insert(t.Contact), [
            {"company_id": site.id, "email": f"p{i}@bench.test", "custom": {}}
            for i in range(people)])
        session.execute(insert(t.Lead), [
            {"company_id": site.id, "name": f"Lead {i}", "contact_id": i + 1, "custom": {},
             "scope": "contact", "priority": "normal", "stage": "nurture", "source": "api",
             "sales_ready": False} for i in range(people)])
        # A year of history, as a database in use has: ten interactions per person.
        rng, now = random.Random(3), datetime.now(UTC)
        for start in range(0, people * HISTORY, 50_000):
            session.execute(insert(t.Interaction), [
                {"company_id": site.id, "type": rng.choice(TYPES), "source": "api",
                 "contact_id": 1 + n % people, "attributes": {},
                 "occurred_at": now - timedelta(seconds=rng.randrange(365 * 86400)),
                 "received_at": now}
                for n in range(start, min(start + 50_000, people * HISTORY))])
        models.save(session, site.id, model_from_dict(MODEL))
        models.publish(session, site.id, "bench")
        _, secret = keys.create_key(session, site, name="bench", role="ingest")
    # As a database in use has: planner statistics (PostgreSQL's autovacuum, SQLite's from
    # the worker, which refreshes them hourly).
    if database.dialect == "postgresql":
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    database.refresh_statistics()
    return secret


def serve(url: str) -> tuple[str, multiprocessing.process.BaseProcess]:
    """The API in a process of its own, as in production: the client's work (building and
    reading JSON) is not charged to the server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(url, port), daemon=True)
    process.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base, process
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not process.is_alive():
            raise SystemExit("the API server did not start")
        time.sleep(0.1)


def _serve(url: str, port: int) -> None:
    uvicorn.run(create_app(Database(url)), host="127.0.0.1", port=port, log_level="warning")


def item(rng: random.Random, people: int) -> dict[str, Any]:
    return {"type": rng.choice(TYPES), "contact_email": f"p{rng.randrange(people)}@bench.test",
            "external_id": f"b{rng.getrandbits(64)}"}


def run(url: str | None, people: int, batches: int, singles: int) -> dict[str, float]:
    """Measure; returns interactions/s for batches and latency percentiles for singles."""
    path = os.path.join(tempfile.mkdtemp(), "bench.db")
    database = Database(url or f"sqlite:///{path}")
    secret = world(database, people)
    base, server = serve(database.url)
    rng = random.Random(7)
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        for _ in range(batches):
            body = {"items": [item(rng, people) for _ in range(1000)]}
            assert client.post("/api/v1/interactions", json=body).status_code == 200
        per_second = batches * 1000 / (time.perf_counter() - started)
        latencies = []
        for _ in range(singles):
            begin = time.perf_counter()
            assert client.post("/api/v1/interactions", json=item(rng, people)).status_code == 201
            latencies.append((time.perf_counter() - begin) * 1000)
    server.terminate()
    server.join()
    rescoring = rescore_latencies(database, people, singles, rng)
    return {"batch_per_second": per_second,
            "single_p50_ms": statistics.median(latencies),
            "single_p99_ms": _p99(latencies),
            "rescore_p50_ms": statistics.median(rescoring),
            "rescore_p99_ms": _p99(rescoring)}


def rescore_latencies(database: Database, people: int, count: int,
                      rng: random.Random) -> list[float]:
    """In-process: how long rescoring one contact's leads takes after an interaction (what a
    single interaction adds to storing it), in ms."""
    from leadflow.services.scoring.rescore import Rescorer

    out = []
    for _ in range(count):
        contact = 1 + rng.randrange(people)
        with database.transaction() as session:
            company = session.get(t.Company, 1)
            assert company is not None
            begin = time.perf_counter()
            Rescorer(session, company).activity({contact: (None, 0)})
            session.flush()
            out.append((time.perf_counter() - begin) * 1000)
    return out


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--singles", type=int, default=500)
    args = parser.parse_args()
    report(run(args.database_url, args.people, args.batches, args.singles))


def report(result: dict[str, float]) -> None:
    print(f"batch ingest with scoring: {result['batch_per_second']:.0f} interactions/s")
    print(f"single interaction: p50 {result['single_p50_ms']:.1f} ms, "
          f"p99 {result['single_p99_ms']:.1f} ms")
    print(f"rescoring after one interaction (in-process): p50 {result['rescore_p50_ms']:.1f} ms,"
          f" p99 {result['rescore_p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
