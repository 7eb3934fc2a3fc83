"""The website tracking script (`GET /t.js`) and what it sends (`POST /t/collect`), SPEC §6.2.

See docs/forms-and-tracking.md for how to install the script and what it records.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.

import hashlib
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from leadflow.db.database import Database
from leadflow.errors import LeadflowError
from leadflow.integrations import beacons, public

router = APIRouter(tags=["tracking"])
SCRIPT = resources.files("leadflow.integrations").joinpath("tracking.js").read_text("utf-8")
SCRIPT_ETAG = '"' + hashlib.sha256(SCRIPT.encode()).hexdigest()[:20] + '"'
SCRIPT_HEADERS = {
    # An hour: long enough to spare the server, short enough for an upgrade to reach visitors.
    "Cache-Control": "public, max-age=3600",
    "ETag": SCRIPT_ETAG,
    "X-Content-Type-Options": "nosniff",
}
MAX_BODY = 16 * 1024
RATE_LIMIT = 120  # messages per client address and company …
RATE_WINDOW = 60.0  # … per this many seconds
BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    media: {"schema": beacons.Beacon.model_json_schema()}
    for media in ("text/plain", "application/json")}}}


@router.get("/t.js", summary="The tracking script")
@router.head("/t.js", include_in_schema=False)
def script(request: Request) -> Response:
    if SCRIPT_ETAG in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=SCRIPT_HEADERS)
    return Response(SCRIPT, media_type="application/javascript; charset=utf-8",
                    headers=SCRIPT_HEADERS)


@router.options("/t/collect", include_in_schema=False)
def preflight() -> Response:
    return Response(status_code=204, headers=public.PREFLIGHT)


@router.post("/t/collect", status_code=204, openapi_extra=BODY,
             summary="Receive a page view, identify call or custom event from the script")
async def collect(request: Request) -> Response:
    try:
        body = await public.read_body(request, MAX_BODY)
        # sendBeacon posts JSON as text/plain (no CORS preflight), so any type is read as JSON.
        raw = public.json_object(body)
        company_key = str(raw.get("company") or request.query_params.get("c") or "") or None
        public.check_rate(request, "tracking", RATE_LIMIT, RATE_WINDOW, company_key or "")
        beacon = beacons.parse(raw)
        if beacon.type == "identify" or not beacons.is_bot(request.headers.get("user-agent", "")):
            await run_in_threadpool(_receive, request.app.state.database, company_key, beacon)
    except LeadflowError as error:
        return public.problem(error)
    return Response(status_code=204, headers=public.CORS)


def _receive(database: Database, company_key: str | None, beacon: beacons.Beacon) -> None:
    with database.transaction() as session:
        company = public.company_named(session, company_key)
        beacons.receive(session, company, beacon)
