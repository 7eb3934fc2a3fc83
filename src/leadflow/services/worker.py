"""The background worker: runs queued jobs and rescoring when time changes a score.

Stored scores change with time only when a window lets an interaction expire; each stored score
keeps `next_change_at`, so the worker rescores exactly the leads whose moment has come — no
nightly full rescore. Each piece of work is its own transaction, so any number of workers can run.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.db.types import utcnow
from leadflow.services import jobs
from leadflow.services.scoring.rescore import Rescorer
from leadflow.services.webhooks import delivery as webhook_delivery

log = logging.getLogger("leadflow.worker")
BATCH = 1000


@dataclass
class Tick:
    """What one pass of the worker did."""

    jobs: int = 0
    rescored: int = 0
    webhooks: int = 0  # deliveries tried


def tick(database: Database, now: datetime | None = None) -> Tick:
    """One pass: run pending jobs, rescore leads whose next change has come, then send the
    webhook deliveries that are due (those the first two steps made included)."""
    done = Tick()
    with database.transaction() as session:
        jobs.requeue_stale(session)  # jobs a dead worker left `running` resume
        pending_ids = [job.id for job in jobs.pending(session)]
    for job_id in pending_ids:
        _run_job(database, job_id)
        done.jobs += 1
    moment = now or utcnow()
    with database.transaction() as session:
        company_ids = queries.companies_with_due_scores(session, moment)
    for company_id in company_ids:
        done.rescored += _expire_windows(database, company_id, moment)
    done.webhooks = webhook_delivery.deliver_due(database, now)
    return done


def _run_job(database: Database, job_id: int) -> None:
    try:
        jobs.execute(database, job_id)
    except Exception as error:  # a failed job is recorded, the worker goes on
        log.exception("job %s failed", job_id)
        with database.transaction() as session:
            job = session.get(t.Job, job_id)
            if job is not None:
                job.status, job.error, job.finished_at = "failed", str(error), utcnow()


def _expire_windows(database: Database, company_id: int, now: datetime) -> int:
    seen: set[int] = set()
    while True:
        with database.transaction() as session:
            company = session.get(t.Company, company_id)
            ids = [i for i in queries.lead_ids_due(session, company_id, now, BATCH)
                   if i not in seen]
            if company is None or not ids:
                return len(seen)
            Rescorer(session, company, now).leads(ids, "window_expiry")
            seen.update(ids)


STATISTICS_EVERY = 3600.0  # seconds between two refreshes of SQLite's planner statistics


def run(database: Database, interval: float = 5.0, stop: threading.Event | None = None) -> None:
    """Tick every `interval` seconds until `stop` is set."""
    stop = stop or threading.Event()
    statistics_due = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= statistics_due:
                database.refresh_statistics()
                statistics_due = time.monotonic() + STATISTICS_EVERY
            result = tick(database)
            if result.jobs or result.rescored or result.webhooks:
                log.info("ran %s jobs, rescored %s leads, tried %s webhooks", result.jobs,
                         result.rescored, result.webhooks)
        except Exception:  # keep the worker alive through passing database errors
            log.exception("worker pass failed")
        stop.wait(interval)
