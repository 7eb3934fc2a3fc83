"""REST routes for imports: upload a CSV file as a background job, follow it, get its errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse

from leadflow.api.deps import ActorDep, SessionDep, require_read, require_write
from leadflow.api.exports import StreamingActor
from leadflow.errors import FieldError, ValidationFailed
from leadflow.services.imports import background
from leadflow.services.imports.report import REPORT_COLUMNS

router = APIRouter(prefix="/imports", tags=["imports"])
MAX_MAPPING_BYTES = 1 << 20


@router.post("", status_code=202, summary="Upload a CSV file and import it in the background")
def start_import(
    session: SessionDep, actor: ActorDep,
    file: Annotated[UploadFile, File(description="The CSV file (UTF-8).")],
    kind: Annotated[str, Form(description="contacts, accounts, leads or interactions")],
    on_duplicate: Annotated[str, Form(description="update or skip")] = "update",
    dry_run: Annotated[bool, Form(description="Check and count; write nothing.")] = False,
    mapping: Annotated[UploadFile | None, File(
        description='Optional YAML/JSON mapping of {"CSV header": "field"}.')] = None,
) -> dict[str, Any]:
    require_write(actor, "imports")
    upload = background.Upload(kind, file.filename or "upload.csv", file.file, on_duplicate,
                               dry_run, _mapping(mapping))
    job = background.start(session, actor.company.id, upload)
    return background.describe(session, job)


def _mapping(mapping: UploadFile | None) -> tuple[str, str] | None:
    if mapping is None:
        return None
    raw = mapping.file.read(MAX_MAPPING_BYTES + 1)
    try:
        if len(raw) > MAX_MAPPING_BYTES:
            raise ValueError("it is larger than 1 MiB")
        return mapping.filename or "mapping.yaml", raw.decode("utf-8-sig")
    except ValueError as error:
        raise ValidationFailed("The mapping file cannot be used", errors=[
            FieldError("mapping", f"not a UTF-8 YAML/JSON file ({error})")]) from None


@router.get("", summary="List imports, newest first")
def list_imports(
    session: SessionDep, actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: int | None = None,
) -> dict[str, Any]:
    require_read(actor)
    items, next_cursor = background.list_jobs(session, actor.company.id, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{import_id}", summary="An import's status, progress and counts")
def read_import(import_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require_read(actor)
    return background.describe(session, background.read(session, actor.company.id, import_id))


@router.get("/{import_id}/errors.csv", summary="The import's error report (row, column, value,"
            " reason)", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def import_errors(import_id: int, request: Request, actor: StreamingActor) -> StreamingResponse:
    require_read(actor)
    database = request.app.state.database
    with database.transaction() as session:
        job = background.read(session, actor.company.id, import_id)
    pages = background.error_pages(database, job.company_id, job.id)
    name = f"import-{job.id}-errors.csv"
    return StreamingResponse(_csv(pages), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(pages: Iterator[list[tuple[int, str, str, str]]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    yield buffer.getvalue()
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(page)
        yield buffer.getvalue()
