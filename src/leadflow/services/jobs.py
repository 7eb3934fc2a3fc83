"""Background jobs: queued in the database, run by the worker (or inline by the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db import scoring as scoring_queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.errors import NotFound

Progress = Callable[[int, int | None], None]


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


def run(session: Session, job: t.Job, progress: Progress | None = None) -> None:
    """Run one job to the end inside the caller's transaction."""
    from leadflow.services.scoring.rescore import Rescorer

    company = session.get(t.Company, job.company_id)
    assert company is not None
    job.status, job.started_at = "running", utcnow()
    if job.kind != "rescore":
        raise ValueError(f"unknown job kind {job.kind}")
    total = scoring_queries.count_leads(session, company.id)
    job.total, job.progress = total, 0
    rescorer = Rescorer(session, company)
    after, done, changed = 0, 0, 0
    while True:
        ids = scoring_queries.lead_ids(session, company.id, after, 2000)
        if not ids:
            break
        summary = rescorer.leads(ids, job.params.get("cause", "rescore"))
        after, done, changed = ids[-1], done + len(ids), changed + summary.changed
        job.progress = done
        if progress is not None:
            progress(done, total)
    job.status, job.finished_at = "done", utcnow()
    job.result = {"leads": done, "changed": changed}


def describe(job: t.Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "total": job.total, "params": job.params, "result": job.result, "error": job.error,
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}
