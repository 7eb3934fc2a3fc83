"""Imports as background jobs (SPEC §6.3): upload, run by the worker, resume after a crash.

The uploaded file is kept in the database, in parts of PART_BYTES (memory stays flat), so
that any worker on any machine can run the job: the API and the worker share nothing but the
database. The worker copies it to a temporary file and runs the same import as the CLI. With
every committed chunk the job journals its position, its totals and the chunk's row errors
in the same transaction; a crashed job is queued again (jobs.requeue_stale) and continues
after its last committed chunk. The upload is deleted when the job ends.
"""

from __future__ import annotations

import csv
import itertools
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from leadflow.db import imports as db
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.db.types import utcnow
from leadflow.errors import FieldError, NotFound, ValidationFailed
from leadflow.services import jobs
from leadflow.services.imports.columns import parse_mapping
from leadflow.services.imports.journal import Journal
from leadflow.services.imports.report import ErrorReport, Summary
from leadflow.services.imports.rows import RowError
from leadflow.services.imports.runner import (
    CHUNK_ROWS,
    KINDS,
    ImportOptions,
    plan_import,
    run_import,
    units,
)

JOB_KIND = "import"
CHUNK_ROWS_OF_JOBS = CHUNK_ROWS
PART_BYTES = 1 << 20
ON_DUPLICATE = ("update", "skip")
ERROR_PAGE = 1000


@dataclass
class Upload:
    """A file sent for import, and how to import it."""

    kind: str
    name: str
    stream: IO[bytes]
    on_duplicate: str = "update"
    dry_run: bool = False
    mapping: tuple[str, str] | None = None  # (file name, text) of a mapping file


def start(session: Session, company_id: int, upload: Upload) -> t.Job:
    """Check the upload as the CLI would, keep it, and queue a job to import it."""
    problems = []
    if upload.kind not in KINDS:
        problems.append(FieldError("kind", f"must be one of: {', '.join(KINDS)}"))
    if upload.on_duplicate not in ON_DUPLICATE:
        problems.append(FieldError("on_duplicate", "must be one of: update, skip"))
    if problems:
        raise ValidationFailed("The import request is not valid", errors=problems)
    mapping = parse_mapping(upload.mapping[1], upload.mapping[0]) if upload.mapping else None
    name = _safe_name(upload.name)
    with tempfile.TemporaryDirectory(prefix="leadflow-upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as copy:
            shutil.copyfileobj(upload.stream, copy, PART_BYTES)
        options = ImportOptions(upload.kind, path, mapping_data=mapping)
        try:
            plan = plan_import(session, company_id, options)
        except ValidationFailed as error:
            raise ValidationFailed(error.detail.replace(str(path), name),
                                   errors=error.errors) from None
        job = jobs.enqueue(session, company_id, JOB_KIND, {
            "kind": upload.kind, "file": name, "on_duplicate": upload.on_duplicate,
            "dry_run": upload.dry_run, "mapping": mapping, "size": path.stat().st_size,
            "warnings": plan.columns.warnings,
        })
        job.total = plan.source.lines
        _keep(session, company_id, job.id, path)
    return job


def _keep(session: Session, company_id: int, job_id: int, path: Path) -> None:
    with path.open("rb") as handle:
        for seq, data in enumerate(iter(lambda: handle.read(PART_BYTES), b"")):
            db.add_file_part(session, company_id, job_id, seq, data)


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "upload.csv"


@dataclass
class JobJournal(Journal):
    """A job's journal: kept in its row, with its row errors, in each step's transaction."""

    job_id: int = 0
    company_id: int = 0
    durable = True

    @classmethod
    def of(cls, job: t.Job) -> JobJournal:
        """The journal of `job`, where an earlier run of it stopped (or a fresh one)."""
        state = job.result or {}
        positions = state.get("journal") or {}
        return cls(run_key=f"job-{job.id}", totals=state.get("totals"), cause_id=job.id,
                   job_id=job.id, company_id=job.company_id, **positions)

    def save(self, session: Session, totals: dict[str, Any], errors: list[RowError]) -> None:
        job = session.get(t.Job, self.job_id)
        assert job is not None
        job.progress, job.heartbeat_at = self.imported_through, utcnow()
        job.result = {"totals": totals, "journal": self.positions()}
        db.add_errors(session, self.company_id, self.job_id,
                      ((e.row, e.column, e.value, e.reason) for e in errors))


def run_job(database: Database, job_id: int, progress: jobs.Progress | None = None) -> None:
    """Run (or resume) an import job to the end, committing chunk by chunk."""
    with database.transaction() as session:
        job = session.get(t.Job, job_id)
        assert job is not None
        params, company_id, journal = dict(job.params), job.company_id, JobJournal.of(job)
    with tempfile.TemporaryDirectory(prefix="leadflow-import-") as folder:
        path = Path(folder) / params["file"]
        _restore(database, company_id, job_id, path)
        options = ImportOptions(params["kind"], path, update=params["on_duplicate"] == "update",
                                dry_run=params["dry_run"], mapping_data=params["mapping"],
                                chunk_rows=CHUNK_ROWS_OF_JOBS)
        try:
            if options.dry_run:
                summary = _dry_run(database, company_id, job_id, options, Path(folder))
            else:
                summary = run_import(database.transaction, company_id, options, _kept,
                                     progress, journal)
        except ValidationFailed as error:  # the company changed since the upload was checked
            summary = Summary(options.kind, params["file"], fatal=str(error))
        summary.fatal = summary.fatal.replace(str(path), params["file"]) if summary.fatal else None
    with database.transaction() as session:
        job = session.get(t.Job, job_id)
        assert job is not None
        job.result = {"totals": summary.totals(), "journal": journal.positions(),
                      "fatal": summary.fatal}
        job.status = "failed" if summary.fatal else "done"
        job.error, job.finished_at = summary.fatal, utcnow()
        db.delete_file(session, company_id, job_id)
    database.refresh_statistics()  # an import may have multiplied the size of tables


def _kept(_: RowError) -> None:
    """Row errors of a job are saved by its journal, with the chunk that found them."""


def _restore(database: Database, company_id: int, job_id: int, path: Path) -> None:
    """Write the uploaded file back to `path`, a part at a time."""
    with path.open("wb") as handle:
        seq = 0
        while True:
            with database.transaction() as session:
                data = db.file_part(session, company_id, job_id, seq)
            if data is None:
                return
            handle.write(data)
            seq += 1


def _dry_run(database: Database, company_id: int, job_id: int, options: ImportOptions,
             folder: Path) -> Summary:
    """A dry run writes nothing, so it cannot journal as it goes: its errors are collected
    in a file, and kept once the rolled-back run is over."""
    report = ErrorReport(folder / "errors.csv", always=True)
    try:
        with units(database, dry_run=True) as unit_of_work:
            summary = run_import(unit_of_work, company_id, options, report.write)
    finally:
        report.close()
    with report.path.open(encoding="utf-8", newline="") as handle:
        rows = _report_rows(handle)
        while page := list(itertools.islice(rows, ERROR_PAGE)):
            with database.transaction() as session:
                db.add_errors(session, company_id, job_id, page)
    return summary


def _report_rows(handle: IO[str]) -> Iterator[tuple[int, str, str, str]]:
    reader = csv.reader(handle)
    next(reader, None)
    for row, column, value, reason in reader:
        yield int(row), column, value, reason


def read(session: Session, company_id: int, job_id: int) -> t.Job:
    """An import job of the company."""
    job = session.get(t.Job, job_id)
    if job is None or job.company_id != company_id or job.kind != JOB_KIND:
        raise NotFound(f"no import {job_id}")
    return job


def describe(session: Session, job: t.Job) -> dict[str, Any]:
    """What the API shows of an import job: progress, counts and where its errors are."""
    params, result = job.params, job.result or {}
    totals = result.get("totals") or {}
    summary = Summary(params["kind"], params["file"])
    summary.restore(totals)
    return {
        "id": job.id, "kind": params["kind"], "file": params["file"],
        "on_duplicate": params["on_duplicate"], "dry_run": params["dry_run"],
        "status": job.status, "progress": job.progress, "total": job.total,
        "rows": summary.rows, **summary.counts, "also_created": summary.also_created,
        "warnings": params.get("warnings", []), "error": job.error,
        "errors_count": db.count_errors(session, job.company_id, job.id),
        "errors_url": f"/api/v1/imports/{job.id}/errors.csv",
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def list_jobs(session: Session, company_id: int, before: int | None, limit: int
              ) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the company's imports, newest first, and the cursor of the next page."""
    found = db.import_jobs(session, company_id, before, limit + 1)
    items = [describe(session, job) for job in found[:limit]]
    return items, found[limit - 1].id if len(found) > limit else None


def error_pages(database: Database, company_id: int, job_id: int) -> Iterator[
    list[tuple[int, str, str, str]]
]:
    """The job's row errors, a page (and a short transaction) at a time."""
    after = 0
    while True:
        with database.transaction() as session:
            page = db.errors_page(session, company_id, job_id, after, ERROR_PAGE)
            rows = [(e.row, e.column, e.value, e.reason) for e in page]
        if not rows:
            return
        yield rows
        after = page[-1].id
