"""Public form submissions (SPEC §6.2): `POST /f/{company_key}/{landing_page_key}`, and
`POST /f/{landing_page_key}` for the site company. No API key: a landing page's form posts here.

See docs/forms-and-tracking.md for the fields, the honeypot and the answers.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.

from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from leadflow.db.database import Database
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.integrations import form_fields, public
from leadflow.integrations.form_fields import Submission
from leadflow.services import custom_fields, records
from leadflow.services.ingestion.ingest import Ingestor
from leadflow.services.ingestion.inputs import InteractionIn
from leadflow.services.resources import LANDING_PAGES

router = APIRouter(tags=["forms"])
MAX_BODY = 64 * 1024
RATE_LIMIT = 20  # submissions per client address and company …
RATE_WINDOW = 60.0  # … per this many seconds
HTML_HEADERS = {**public.CORS, "Content-Security-Policy": "default-src 'none'; "
                "style-src 'unsafe-inline'", "Cache-Control": "no-store"}
BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string"}, "first_name": {"type": "string"},
        "last_name": {"type": "string"}, "company": {"type": "string"},
        "website": {"type": "string"}, "visitor_id": {"type": "string"},
        "redirect": {"type": "string"},
        form_fields.HONEYPOT: {"type": "string", "description": "Honeypot: leave empty."},
    }, "additionalProperties": {"type": "string"}}}
    for media in ("application/x-www-form-urlencoded", "multipart/form-data",
                  "application/json")}}}


@dataclass
class Sender:
    """What the request says about where the form was filled in."""

    referer: str | None
    origin: str | None
    cookie_visitor: str | None


@dataclass
class Received:
    """The result of one accepted submission (a honeypot catch included)."""

    page_url: str | None
    redirect: str | None
    lead_id: int | None = None


@router.post("/f/{company_key}/{landing_page_key}", openapi_extra=BODY,
             summary="Submit a landing page's form (a client company's page)")
async def submit_to_company(request: Request, company_key: str, landing_page_key: str) -> Response:
    return await _submit(request, company_key, landing_page_key)


@router.post("/f/{landing_page_key}", openapi_extra=BODY,
             summary="Submit a landing page's form (a site-company page)")
async def submit(request: Request, landing_page_key: str) -> Response:
    return await _submit(request, None, landing_page_key)


@router.options("/f/{company_key}/{landing_page_key}", include_in_schema=False)
@router.options("/f/{landing_page_key}", include_in_schema=False)
def preflight() -> Response:
    return Response(status_code=204, headers=public.PREFLIGHT)


async def _submit(request: Request, company_key: str | None, page_key: str) -> Response:
    as_json = _wants_json(request)
    sender = Sender(_web(request.headers.get("referer")), _web(request.headers.get("origin")),
                    request.cookies.get("lf_vid"))
    try:
        public.check_rate(request, "forms", RATE_LIMIT, RATE_WINDOW, company_key or "")
        body = await public.read_body(request, MAX_BODY)
        pairs, sent_json = await public.form_pairs(request, body)
        as_json = as_json or sent_json
        received = await run_in_threadpool(
            _receive, request.app.state.database, company_key, page_key, pairs, sender)
    except ValidationFailed as error:
        return public.problem(error) if as_json else _error_page(error, sender)
    except LeadflowError as error:
        return public.problem(error)
    if as_json:
        return JSONResponse({"ok": True, "lead_id": received.lead_id}, headers=public.CORS)
    target = _redirect_target(received, sender)
    if target is not None:
        return RedirectResponse(target, status_code=303, headers=public.CORS)
    return _thank_you_page(sender)


def _receive(database: Database, company_key: str | None, page_key: str,
             pairs: public.Pairs, sender: Sender) -> Received:
    """Store the submission in one transaction; any error leaves nothing behind."""
    with database.transaction() as session:
        company = public.company_named(session, company_key)
        page = records.get(session, company.id, LANDING_PAGES, page_key)
        sub = form_fields.read(pairs, _custom_field_types(session, company.id))
        received = Received(page.url, sub.values.get("redirect"))
        if sub.honeypot:
            return received  # answered like a success so the bot learns nothing; not stored
        if sub.problems:
            raise ValidationFailed("The form is not valid", errors=sub.problems)
        data = _interaction(sub, page.id, sender)
        try:
            outcome = Ingestor(session, company, source="form").one(data)
        except ValidationFailed as error:
            raise form_fields.relabel(error.errors, sub, error.detail) from error
        received.lead_id = outcome.lead_id
        return received


def _custom_field_types(session: Session, company_id: int) -> dict[str, str]:
    return {key: row.type
            for key, row in custom_fields.definitions(session, company_id, "contact").items()}


def _interaction(sub: Submission, page_id: int, sender: Sender) -> InteractionIn:
    email = form_fields.required_email(sub)
    referer = sender.referer if sender.referer and len(sender.referer) <= 2000 else None
    try:
        return InteractionIn.model_validate({
            "type": "form_submitted", "landing_page_id": page_id, "contact_email": email,
            "contact": form_fields.contact_data(sub), "attributes": sub.attributes,
            "visitor_id": form_fields.visitor_id(sub, sender.cookie_visitor), "url": referer,
        })
    except ValidationError as error:
        raise form_fields.relabel(form_fields.field_errors(error), sub,
                                  "The form is not valid") from error


def _wants_json(request: Request) -> bool:
    """Scripts (fetch, XMLHttpRequest, JSON bodies) get JSON; browsers get pages."""
    if request.headers.get("x-requested-with", "").lower() == "xmlhttprequest":
        return True
    if public.is_json_type(public.media_type(request)):
        return True
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


def _redirect_target(received: Received, sender: Sender) -> str | None:
    """The submitted `redirect` if it stays on the page's (or the sender's) site, else the
    landing page's URL with `submitted=1`, else None."""
    if received.redirect:
        base = received.page_url or sender.referer
        target = _web(urljoin(base, received.redirect) if base else received.redirect)
        # Only to the site the form lives on, so the endpoint is no open redirect.
        allowed = {_host(u) for u in (received.page_url, sender.origin, sender.referer) if u}
        if target and _host(target) in allowed:
            return target
    page = _web(received.page_url)
    if page is None:
        return None
    parts = urlsplit(page)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != "submitted"] + [("submitted", "1")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _web(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.hostname else None


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _page(title: str, body: str, sender: Sender, status: int) -> HTMLResponse:
    back = (f'<p><a href="{escape(sender.referer)}">Back</a></p>' if sender.referer else "")
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
            f'<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;'
            f'padding:0 1rem;line-height:1.5}}</style></head><body><h1>{escape(title)}</h1>'
            f'{body}{back}</body></html>')
    return HTMLResponse(html, status_code=status, headers=HTML_HEADERS)


def _thank_you_page(sender: Sender) -> HTMLResponse:
    return _page("Thank you", "<p>Your submission was received.</p>", sender, 200)


def _error_page(error: LeadflowError, sender: Sender) -> HTMLResponse:
    items = "".join(f"<li><strong>{escape(e.loc)}</strong>: {escape(e.message)}</li>"
                    if e.loc else f"<li>{escape(e.message)}</li>" for e in error.errors)
    body = f"<p>{escape(error.detail)}.</p><ul>{items}</ul><p>Please go back and correct it.</p>"
    return _page("The form could not be sent", body, sender, 400)
