"""The tracking script /t.js and /t/collect (SPEC §6.2, §3): visits, identification, CORS."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from leadflow.db.tables import InteractionType
from leadflow.integrations.ratelimit import SlidingWindow
from tests.conftest import Tenant

API = "/api/v1"
PLAIN = {"Content-Type": "text/plain;charset=UTF-8"}


@pytest.fixture
def public(api: TestClient) -> TestClient:
    """A landing page of the site company; the client then sends no key."""
    page = {"key": "demo-form", "name": "Demo request", "url": "https://acme.test/demo"}
    assert api.post(f"{API}/landing-pages", json=page).status_code == 201
    api.headers.pop("Authorization")
    return api


def page_view(vid: str = "v-1", url: str = "https://acme.test/pricing", **extra: Any) -> dict[
    str, Any
]:
    return {"type": "page", "visitor_id": vid, "url": url, **extra}


def collect(client: TestClient, body: dict[str, Any], headers: dict[str, str] | None = None,
            **kwargs: Any) -> Any:
    return client.post("/t/collect", content=json.dumps(body), headers={**PLAIN, **(headers or {})},
                       **kwargs)


def items(client: TestClient, tenant: Tenant, path: str, **params: str) -> list[dict[str, Any]]:
    result = client.get(f"{API}/{path}", headers=tenant.headers, params={"limit": "500", **params})
    assert result.status_code == 200, result.text
    return list(result.json()["items"])


class TestScript:
    def test_script_is_served_as_cacheable_javascript_without_external_urls(
        self, http: TestClient
    ) -> None:
        result = http.get("/t.js")
        assert result.status_code == 200
        assert result.headers["content-type"].startswith("application/javascript")
        assert "max-age" in result.headers["cache-control"]
        assert re.search(r"[a-z]+://", result.text) is None
        assert "sendBeacon" in result.text and "lf_vid" in result.text
        again = http.get("/t.js", headers={"If-None-Match": result.headers["etag"]})
        assert again.status_code == 304


class TestPageViews:
    def test_anonymous_page_view_is_stored_with_the_visitor_id(
        self, public: TestClient, site: Tenant
    ) -> None:
        result = collect(public, page_view(url="https://acme.test/p?utm_source=ads&x=1",
                                           title="Pricing", referrer="https://search.test/"))
        assert result.status_code == 204, result.text
        assert result.headers["access-control-allow-origin"] == "*"
        [visit] = items(public, site, "interactions")
        assert (visit["type"], visit["visitor_id"], visit["contact_id"], visit["source"]) == (
            "website_visited", "v-1", None, "tracking")
        assert visit["url"] == "https://acme.test/p?utm_source=ads&x=1"
        assert visit["attributes"] == {"title": "Pricing", "referrer": "https://search.test/",
                                       "utm_source": "ads"}

    def test_json_content_type_is_accepted_too(self, public: TestClient, site: Tenant) -> None:
        assert public.post("/t/collect", json=page_view()).status_code == 204
        assert len(items(public, site, "interactions")) == 1

    def test_visits_attach_to_the_contact_when_the_visitor_submits_a_form(
        self, public: TestClient, site: Tenant
    ) -> None:
        collect(public, page_view(url="https://acme.test/a"))
        collect(public, page_view(url="https://acme.test/b"))
        collect(public, page_view(vid="someone-else"))
        submitted = public.post("/f/demo-form", json={"email": "ana@acme.test", "lf_vid": "v-1"})
        assert submitted.json()["ok"] is True
        [contact] = items(public, site, "contacts")
        visits = items(public, site, "interactions", type="website_visited")
        assert sorted((v["url"], v["contact_id"]) for v in visits) == [
            ("https://acme.test/a", contact["id"]), ("https://acme.test/b", contact["id"]),
            ("https://acme.test/pricing", None)]
        collect(public, page_view(url="https://acme.test/c"))
        [later] = items(public, site, "interactions", url="https://acme.test/c")
        assert later["contact_id"] == contact["id"]

    def test_visitor_cookie_identifies_a_form_sent_from_the_same_site(
        self, public: TestClient, site: Tenant
    ) -> None:
        collect(public, page_view(vid="cookie-1"))
        public.cookies.set("lf_vid", "cookie-1")
        public.post("/f/demo-form", json={"email": "bo@acme.test"})
        [visit] = items(public, site, "interactions", type="website_visited")
        assert visit["contact_id"] == items(public, site, "contacts")[0]["id"]

    def test_crawler_page_views_are_not_stored(self, public: TestClient, site: Tenant) -> None:
        result = collect(public, page_view(), headers={"User-Agent": "Googlebot/2.1"})
        assert result.status_code == 204
        assert items(public, site, "interactions") == []


class TestIdentify:
    def test_identify_links_the_visitor_without_storing_an_interaction(
        self, public: TestClient, site: Tenant
    ) -> None:
        collect(public, page_view())
        result = collect(public, {"type": "identify", "visitor_id": "v-1",
                                  "email": " Ana@Acme.test", "traits": {
                                      "First Name": "Ana", "company": "Acme", "plan": "pro"}})
        assert result.status_code == 204, result.text
        [contact] = items(public, site, "contacts")
        assert (contact["email"], contact["first_name"], contact["account_domain"]) == (
            "ana@acme.test", "Ana", None)
        [visit] = items(public, site, "interactions")
        assert visit["contact_id"] == contact["id"]

    def test_identify_needs_a_valid_email(self, public: TestClient, site: Tenant) -> None:
        for body in ({"type": "identify", "visitor_id": "v-1"},
                     {"type": "identify", "visitor_id": "v-1", "email": "nope"}):
            result = collect(public, body)
            assert result.status_code == 422
            assert result.json()["errors"][0]["field"] == "email"
        assert items(public, site, "contacts") == []


class TestCustomEvents:
    def test_track_stores_a_custom_interaction_type_only(
        self, public: TestClient, site: Tenant, db: Database
    ) -> None:
        with db.transaction() as session:
            session.add(InteractionType(company_id=site.company.id, key="video_played",
                                        name="VideoPlayed", attributes=[]))
        ok = collect(public, {"type": "track", "visitor_id": "v-1", "event": "VideoPlayed",
                              "properties": {"video": "intro"}})
        assert ok.status_code == 204, ok.text
        [stored] = items(public, site, "interactions")
        assert (stored["type"], stored["attributes"]) == ("video_played", {"video": "intro"})
        forged = collect(public, {"type": "track", "visitor_id": "v-1",
                                  "event": "form_submitted"})
        assert forged.status_code == 422
        assert forged.json()["errors"][0]["field"] == "event"


class TestBadInput:
    @pytest.mark.parametrize("body, field", [
        ({"type": "page", "url": "https://a.test/"}, "visitor_id"),
        ({"type": "page", "visitor_id": "has space", "url": "https://a.test/"}, "visitor_id"),
        ({"type": "page", "visitor_id": "v"}, "url"),
        ({"type": "page", "visitor_id": "v", "url": "javascript:alert(1)"}, "url"),
        ({"type": "page", "visitor_id": "v", "url": "https://a.test/" + "x" * 2000}, "url"),
        ({"type": "click", "visitor_id": "v"}, "type"),
        ({"type": "page", "visitor_id": "v", "url": "https://a.test/", "colour": 1}, "colour"),
    ])
    def test_bad_message_is_refused_and_nothing_stored(
        self, public: TestClient, site: Tenant, body: dict[str, Any], field: str
    ) -> None:
        result = collect(public, body)
        assert result.status_code == 422, result.text
        assert result.headers["access-control-allow-origin"] == "*"
        assert field in [e["field"] for e in result.json()["errors"]]
        assert items(public, site, "interactions") == []

    def test_body_that_is_not_json_is_refused(self, public: TestClient) -> None:
        result = public.post("/t/collect", content=b"page=1", headers=PLAIN)
        assert result.status_code == 422 and result.json()["errors"][0]["field"] == "body"

    def test_unknown_company_is_not_found(self, public: TestClient, site: Tenant) -> None:
        assert collect(public, page_view(company="nope")).status_code == 404
        assert collect(public, page_view(), params={"c": "nope"}).status_code == 404
        assert items(public, site, "interactions") == []

    def test_company_may_be_named_on_the_query_string(
        self, public: TestClient, make_client_company: Any
    ) -> None:
        client = make_client_company("northwind")
        assert collect(public, page_view(), params={"c": "northwind"}).status_code == 204
        assert len(items(public, client, "interactions")) == 1

    def test_oversized_body_is_refused(self, public: TestClient) -> None:
        result = collect(public, page_view(title="x" * 20_000))
        assert result.status_code == 413

    def test_too_many_messages_get_429(self, public: TestClient) -> None:
        public.app.state.rate_limiters = {"tracking": SlidingWindow(1, 60)}  # type: ignore[attr-defined]
        assert collect(public, page_view()).status_code == 204
        refused = collect(public, page_view())
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


class TestCors:
    def test_preflight_allows_any_origin(self, http: TestClient) -> None:
        result = http.options("/t/collect", headers={
            "Origin": "https://acme.test", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert result.status_code == 204
        assert result.headers["access-control-allow-origin"] == "*"
        assert "POST" in result.headers["access-control-allow-methods"]
        assert "content-type" in result.headers["access-control-allow-headers"].lower()


HARNESS = r"""
const fs = require("fs"), vm = require("vm");
const sent = [], listeners = {}, appended = [];
let cookie = process.argv[2];
const script = { src: "https://lf.test/t.js?c=site", getAttribute: () => null };
const document = {
  currentScript: script, referrer: "https://search.test/", title: "Pricing",
  get cookie() { return cookie; }, set cookie(value) { cookie = value; },
  addEventListener: (type, f) => { listeners[type] = f; },
  getElementsByTagName: () => [script], createElement: () => ({}),
};
const window = {
  location: { href: "https://acme.test/pricing?utm_source=ads", protocol: "https:" },
  crypto: require("crypto").webcrypto,
  leadflow: [["identify", "ana@acme.test", { first_name: "Ana" }]],
};
const navigator = { sendBeacon: (url, body) => { sent.push({ url, body }); return true; } };
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"),
                vm.createContext({ window, document, navigator }));
for (const action of ["https://lf.test/f/demo-form", "https://other.test/f/x"]) {
  listeners.submit({ target: { action, querySelector: () => null,
                               appendChild: (e) => appended.push(e) } });
}
process.stdout.write(JSON.stringify({ sent, cookie, appended, api: Object.keys(window.leadflow) }));
"""


def run_script(cookie: str = "") -> dict[str, Any]:
    source = Path(__file__).parents[2] / "src/leadflow/integrations/tracking.js"
    out = subprocess.run(["node", "-e", HARNESS, str(source), cookie], capture_output=True,
                         text=True, timeout=30, check=True)
    return dict(json.loads(out.stdout))


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the script")
class TestScriptInNode:
    def test_script_sends_a_page_view_and_queued_identify_that_the_server_stores(
        self, public: TestClient, site: Tenant
    ) -> None:
        run = run_script()
        vid = re.match(r"lf_vid=([^;]+); Max-Age=63072000; Path=/; SameSite=Lax; Secure$",
                       run["cookie"])
        assert vid is not None, run["cookie"]
        assert [s["url"] for s in run["sent"]] == ["https://lf.test/t/collect"] * 2
        assert [(e["name"], e["value"]) for e in run["appended"]] == [("lf_vid", vid[1])]
        assert {"page", "identify", "track"} <= set(run["api"])
        for message in run["sent"]:
            assert json.loads(message["body"])["company"] == "site"
            assert collect(public, json.loads(message["body"])).status_code == 204
        [visit] = items(public, site, "interactions")
        [contact] = items(public, site, "contacts")
        assert (visit["visitor_id"], visit["contact_id"]) == (vid[1], contact["id"])
        assert visit["attributes"]["utm_source"] == "ads"
        assert contact["first_name"] == "Ana"

    def test_script_keeps_the_visitor_id_of_its_cookie(self) -> None:
        run = run_script(cookie="other=1; lf_vid=known-visitor")
        assert json.loads(run["sent"][0]["body"])["visitor_id"] == "known-visitor"
