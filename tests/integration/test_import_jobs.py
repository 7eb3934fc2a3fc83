"""Imports as background jobs: upload, progress, errors.csv, and resuming after a crash."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import jobs, worker
from leadflow.services.imports import background

URL = "/api/v1/imports"
PEOPLE = ("email,first_name,city\n"
          "ana@acme.test,Ana,Lyon\n"
          "bob@,Bob,Paris\n"  # line 3 fails
          "cy@acme.test,Cy,Rome\n"
          "dee@acme.test,Dee,Oslo\n"
          "eve@acme.test,Eve,Riga\n"
          "fay@,Fay,Kyiv\n"  # line 7 fails
          "gus@acme.test,Gus,Bern\n")


class Crash(Exception):
    """The worker process dies here."""


def upload(api: TestClient, text: str, kind: str = "contacts", name: str = "people.csv",
           **form: str) -> Any:
    return api.post(URL, files={"file": (name, text.encode("utf-8"), "text/csv")},
                    data={"kind": kind, **form})


def count(db: Database, table: Any) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def report(api: TestClient, job_id: int) -> list[dict[str, str]]:
    result = api.get(f"{URL}/{job_id}/errors.csv")
    assert result.status_code == 200 and result.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(result.text)))


def crash_after(monkeypatch: pytest.MonkeyPatch, steps: int) -> None:
    """Make the job's process die inside the transaction of its step number `steps` + 1."""
    save = background.JobJournal.save
    done = {"steps": 0}

    def dying(self: background.JobJournal, *args: Any) -> None:
        if done["steps"] == steps:
            raise Crash
        done["steps"] += 1
        save(self, *args)

    monkeypatch.setattr(background.JobJournal, "save", dying)


def make_stale(db: Database, job_id: int) -> None:
    with db.transaction() as session:
        session.execute(update(t.Job).where(t.Job.id == job_id).values(
            heartbeat_at=datetime.now(UTC) - timedelta(hours=1)))


def test_an_upload_is_queued_then_run_by_the_worker(api: TestClient, db: Database) -> None:
    queued = upload(api, PEOPLE)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert (job["status"], job["kind"], job["file"], job["rows"]) == (
        "pending", "contacts", "people.csv", 0)
    assert count(db, t.Contact) == 0
    worker.tick(db)
    done = api.get(f"{URL}/{job['id']}").json()
    assert (done["status"], done["rows"], done["created"], done["failed"]) == ("done", 7, 5, 2)
    assert (done["errors_count"], done["progress"]) == (2, 8)
    assert [(r["row"], r["column"]) for r in report(api, job["id"])] == [
        ("3", "email"), ("7", "email")]
    assert count(db, t.ImportFilePart) == 0  # the upload is gone once imported
    assert [item["id"] for item in api.get(URL).json()["items"]] == [job["id"]]


def test_an_unusable_upload_is_refused_and_nothing_is_queued(
    api: TestClient, db: Database
) -> None:
    latin = api.post(URL, files={"file": ("people.csv", b"email\nJos\xe9@x.test\n")},
                     data={"kind": "contacts"})
    assert latin.status_code == 422
    assert "people.csv is not UTF-8" in latin.json()["detail"]
    assert "/tmp" not in latin.json()["detail"]
    wrong = upload(api, PEOPLE, kind="people", on_duplicate="merge")
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.json()["errors"]} == {"kind", "on_duplicate"}
    missing = api.post(URL, data={"kind": "contacts"})
    assert missing.status_code == 422
    assert count(db, t.Job) == 0 and count(db, t.ImportFilePart) == 0


def test_a_mapping_file_may_come_with_the_upload(api: TestClient, db: Database) -> None:
    queued = api.post(URL, data={"kind": "contacts"}, files={
        "file": ("people.csv", b"Work address,Vorname\nana@acme.test,Ana\n"),
        "mapping": ("mapping.yaml", b"Work address: email\nVorname: first_name\n")})
    assert queued.status_code == 202, queued.text
    worker.tick(db)
    assert api.get("/api/v1/contacts/ana@acme.test").json()["first_name"] == "Ana"


def test_readers_see_imports_but_only_writers_start_them(
    api: TestClient, site: Any, make_key: Any, make_client_company: Any
) -> None:
    job = upload(api, PEOPLE).json()
    viewer = make_key(site.company, "viewer")
    assert upload(api, PEOPLE).status_code == 202
    api.headers.update(viewer.headers)
    assert upload(api, PEOPLE).status_code == 403
    assert api.get(f"{URL}/{job['id']}").status_code == 200
    other = make_client_company("globex")
    api.headers.update(other.headers)
    assert api.get(f"{URL}/{job['id']}").status_code == 404
    assert api.get(f"{URL}/{job['id']}/errors.csv").status_code == 404


def test_a_dry_run_job_counts_and_reports_but_writes_nothing(
    api: TestClient, db: Database
) -> None:
    job = upload(api, PEOPLE, dry_run="true").json()
    worker.tick(db)
    done = api.get(f"{URL}/{job['id']}").json()
    assert (done["status"], done["dry_run"], done["created"], done["failed"]) == (
        "done", True, 5, 2)
    assert len(report(api, job["id"])) == 2
    assert count(db, t.Contact) == 0


def test_a_crashed_job_resumes_after_its_last_committed_chunk(
    api: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "CHUNK_ROWS_OF_JOBS", 2)
    job_id = upload(api, PEOPLE).json()["id"]
    crash_after(monkeypatch, 2)  # lines 2-3 and 4-5 commit; lines 6-7 die with the process
    with pytest.raises(Crash):
        jobs.execute(db, job_id)
    halfway = api.get(f"{URL}/{job_id}").json()
    assert (halfway["status"], halfway["progress"], halfway["created"]) == ("running", 5, 3)
    assert count(db, t.Contact) == 3
    monkeypatch.undo()
    monkeypatch.setattr(background, "CHUNK_ROWS_OF_JOBS", 2)
    worker.tick(db)  # still alive as far as anyone can tell: not taken over
    assert api.get(f"{URL}/{job_id}").json()["status"] == "running"
    make_stale(db, job_id)
    worker.tick(db)
    done = api.get(f"{URL}/{job_id}").json()
    assert (done["status"], done["rows"], done["created"], done["failed"]) == ("done", 7, 5, 2)
    assert count(db, t.Contact) == 5
    assert [r["row"] for r in report(api, job_id)] == ["3", "7"]


def test_a_crashed_interactions_job_neither_loses_nor_repeats_anything(
    api: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path, body in [("landing-pages", {"key": "demo", "name": "Demo"}),
                       ("scoring-models", {"key": "visits", "name": "Visits", "status": "live",
                                           "rules": [{"name": "Visit", "points": 1, "conditions": [
                                               {"entity": "WebsiteVisited",
                                                "frequency": "each"}]}]})]:
        assert api.post(f"/api/v1/{path}", json=body).status_code == 201
    worker.tick(db)
    monkeypatch.setattr(background, "CHUNK_ROWS_OF_JOBS", 2)
    now = datetime.now(UTC)
    rows = [f"website_visited,{(now - timedelta(days=d)).isoformat()},ana@acme.test,\n"
            for d in (1, 6, 3, 5)]
    text = ("type,occurred_at,contact_email,landing_page\n"
            f"form_submitted,{(now - timedelta(days=9)).isoformat()},ana@acme.test,demo\n"
            "nonsense,2025-01-01,ana@acme.test,\n" + "".join(rows))
    job_id = upload(api, text, kind="interactions", name="activity.csv").json()["id"]
    crash_after(monkeypatch, 5)  # 3 chunks of checks, 2 of ingestion; the 3rd one dies
    with pytest.raises(Crash):
        jobs.execute(db, job_id)
    assert count(db, t.Interaction) == 4
    monkeypatch.undo()
    make_stale(db, job_id)
    worker.tick(db)
    done = api.get(f"{URL}/{job_id}").json()
    assert (done["status"], done["created"], done["failed"]) == ("done", 5, 1)
    assert done["also_created"] == {"contacts": 1, "leads": 1}
    assert count(db, t.Interaction) == 5 and count(db, t.Lead) == 1
    assert len(report(api, job_id)) == 1
    [lead] = api.get("/api/v1/leads").json()["items"]
    scores = api.get(f"/api/v1/leads/{lead['id']}/scores").json()["models"]
    assert scores[0]["score"] == 4
    assert count(db, t.ImportTouched) == 0
