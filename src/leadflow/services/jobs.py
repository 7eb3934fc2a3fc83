"""Background jobs: queued in the database, run by the worker (or inline by the CLI).

A kind of job is either run in one transaction (`run`, e.g. rescore) or, when it is long
and resumable, commits as it goes (RESUMABLE, e.g. import) and is handed the database.
A `running` job whose heartbeat stopped was left by a dead worker: `requeue_stale` queues it
again and a resumable job continues after the last step it committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow.db import scoring as scoring_queries
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.db.types import utcnow
from leadflow.errors import NotFound

Progress = Callable[[int, int | None], None]
InOneTransaction = Callable[[Session, t.Job, Progress | None], None]
Resumable = Callable[[Database, int, Progress | None], None]
STALE_AFTER = timedelta(minutes=10)


def _rescore(session: Session, job: t.Job, progress: Progress | None) -> None:
    """Every lead in every live model, inside the database (services/scoring/bulk.py)."""
    from leadflow.services.scoring.bulk import BulkRescorer

    company = session.get(t.Company, job.company_id)
    assert company is not None
    total = scoring_queries.count_leads(session, company.id)
    job.total, job.progress = total, 0

    def advance(models_done: int, models: int) -> None:
        job.progress = total * models_done // models
        if progress is not None:
            progress(job.progress, total)

    summary = BulkRescorer(session, company).run(job.params.get("cause", "rescore"), advance)
    job.progress = total
    if progress is not None:
        progress(total, total)
    job.result = {"leads": summary.leads, "changed": summary.changed,
                  "sales_ready": len(summary.sales_ready)}


def _import(database: Database, job_id: int, progress: Progress | None) -> None:
    from leadflow.services.imports.background import run_job

    run_job(database, job_id, progress)


IN_ONE_TRANSACTION: dict[str, InOneTransaction] = {"rescore": _rescore}
RESUMABLE: dict[str, Resumable] = {"import": _import}


def enqueue(session: Session, company_id: int, kind: str, params: dict[str, Any]) -> t.Job:
    """Queue a job for the worker."""
    job = t.Job(company_id=company_id, kind=kind, params=params, status="pending")
    session.add(job)
    session.flush()
    return job


def get(session: Session, company_id: int, job_id: int) -> t.Job:
    job = session.get(t.Job, job_id)
    if job is None or job.company_id != company_id:
        raise NotFound(f"no job {job_id}")
    return job


def pending(session: Session, company_id: int | None = None) -> list[t.Job]:
    stmt = select(t.Job).where(t.Job.status == "pending").order_by(t.Job.id)
    if company_id is not None:
        stmt = stmt.where(t.Job.company_id == company_id)
    return list(session.scalars(stmt))


def requeue_stale(session: Session, now: datetime | None = None,
                  after: timedelta = STALE_AFTER) -> int:
    """Queue again the `running` jobs that showed no sign of life for `after` (their worker
    died); how many."""
    moment = (now or utcnow()) - after
    last_seen = func.coalesce(t.Job.heartbeat_at, t.Job.started_at, t.Job.created_at)
    stmt = (update(t.Job).where(t.Job.status == "running", last_seen < moment)
            .values(status="pending"))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def execute(database: Database, job_id: int, progress: Progress | None = None) -> bool:
    """Claim a pending job, so that no other worker runs it, and run it to the end; False if
    it was not pending (another worker has it)."""
    now = utcnow()
    with database.transaction() as session:
        claimed = session.execute(
            update(t.Job).where(t.Job.id == job_id, t.Job.status == "pending")
            .values(status="running", heartbeat_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        job = session.get(t.Job, job_id)
        kind = job.kind if job is not None else ""
        if claimed and job is not None:
            job.started_at = job.started_at or now  # a resumed job keeps its first start
    if not claimed:
        return False
    if kind in RESUMABLE:
        RESUMABLE[kind](database, job_id, progress)
        return True
    with database.transaction() as session:
        job = session.get(t.Job, job_id)
        assert job is not None
        run(session, job, progress)
    return True


def run(session: Session, job: t.Job, progress: Progress | None = None) -> None:
    """Run one job of a kind that takes one transaction to the end, in the caller's."""
    runner = IN_ONE_TRANSACTION.get(job.kind)
    if runner is None:
        raise ValueError(f"unknown job kind {job.kind}")
    job.status, job.started_at = "running", job.started_at or utcnow()
    runner(session, job, progress)
    job.status, job.finished_at = "done", utcnow()


def describe(job: t.Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "total": job.total, "params": job.params, "result": job.result, "error": job.error,
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}
