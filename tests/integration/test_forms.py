"""Public form submissions at /f/... (SPEC §6.2, §3): no key, honeypot, rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.integrations.ratelimit import SlidingWindow
from tests.conftest import Tenant

API = "/api/v1"
PAGE_URL = "https://www.acme.test/spring"
JSON = {"Accept": "application/json"}


@pytest.fixture
def public(api: TestClient, make_client_company: Any) -> TestClient:
    """Landing pages of the site company and of a client; the client sends no key."""
    for path, body in [
        ("programs", {"key": "launch", "name": "Launch"}),
        ("campaigns", {"key": "spring", "name": "Spring webinar", "program": "launch"}),
        ("landing-pages", {"key": "spring-form", "name": "Spring", "campaign": "spring",
                           "url": PAGE_URL}),
        ("landing-pages", {"key": "plain", "name": "No address"}),
        ("custom-fields", {"key": "budget", "entity": "contact", "type": "number"}),
        ("custom-fields", {"key": "newsletter", "entity": "contact", "type": "boolean"}),
    ]:
        assert api.post(f"{API}/{path}", json=body).status_code == 201, body
    client = make_client_company("northwind")
    page = {"key": "spring-form", "name": "Northwind spring"}
    assert api.post(f"{API}/landing-pages", json=page, headers=client.headers).status_code == 201
    api.headers.pop("Authorization")
    return api


def items(client: TestClient, tenant: Tenant, path: str, **params: str) -> list[dict[str, Any]]:
    result = client.get(f"{API}/{path}", headers=tenant.headers, params={"limit": "500", **params})
    assert result.status_code == 200, result.text
    return list(result.json()["items"])


def nothing_stored(client: TestClient, site: Tenant) -> bool:
    return not any(items(client, site, p) for p in ("contacts", "interactions", "leads"))


class TestSubmissions:
    def test_html_form_creates_contact_account_and_lead_then_redirects(
        self, public: TestClient, site: Tenant
    ) -> None:
        fields = {"Email Address": " Ana@Acme.TEST ", "First Name": "Ana", "lastname": "Lima",
                  "Company": "Acme", "website": "https://www.acme.test/about",
                  "Job Title": "CTO", "utm_source": "newsletter", "lf_hp": ""}
        result = public.post("/f/spring-form", data=fields, follow_redirects=False)
        assert result.status_code == 303, result.text
        assert result.headers["location"] == PAGE_URL + "?submitted=1"
        [contact] = items(public, site, "contacts")
        assert (contact["email"], contact["first_name"], contact["last_name"],
                contact["job_title"], contact["account_domain"]) == (
            "ana@acme.test", "Ana", "Lima", "CTO", "acme.test")
        [lead] = items(public, site, "leads")
        assert (lead["campaign"], lead["origin"], lead["source"]) == ("spring", "landing_page",
                                                                      "auto")
        [interaction] = items(public, site, "interactions")
        assert (interaction["type"], interaction["landing_page"], interaction["source"]) == (
            "form_submitted", "spring-form", "form")
        assert interaction["attributes"] == {"utm_source": "newsletter"}
        assert interaction["lead_id"] == lead["id"]

    def test_json_submission_answers_json_with_the_lead(
        self, public: TestClient, site: Tenant
    ) -> None:
        result = public.post("/f/spring-form", json={"e-mail": "bo@beta.test", "name": "Bo Ek"})
        assert result.status_code == 200, result.text
        [lead] = items(public, site, "leads")
        assert result.json() == {"ok": True, "lead_id": lead["id"]}
        assert result.headers["access-control-allow-origin"] == "*"
        [contact] = items(public, site, "contacts")
        assert (contact["first_name"], contact["last_name"]) == ("Bo", "Ek")

    def test_ajax_form_post_answers_json(self, public: TestClient) -> None:
        result = public.post("/f/spring-form", data={"email": "a@b.test"}, headers=JSON)
        assert result.json()["ok"] is True and result.json()["lead_id"] is not None

    def test_multipart_form_is_read(self, public: TestClient, site: Tenant) -> None:
        result = public.post("/f/spring-form", data={"email": "m@b.test"},
                             files={"cv": ("cv.txt", b"hello")}, headers=JSON)
        assert result.status_code == 200, result.text
        [interaction] = items(public, site, "interactions")
        assert interaction["attributes"] == {}

    def test_other_fields_become_attributes_and_custom_fields_fill_the_contact(
        self, public: TestClient, site: Tenant
    ) -> None:
        body = "email=a%40b.test&interests%5B%5D=ai&interests%5B%5D=bi&Budget=1200&newsletter=on"
        result = public.post("/f/plain", content=body, headers={
            **JSON, "Content-Type": "application/x-www-form-urlencoded"})
        assert result.status_code == 200, result.text
        [interaction] = items(public, site, "interactions")
        assert interaction["attributes"] == {"interests": "ai, bi"}
        [contact] = items(public, site, "contacts")
        assert contact["custom"] == {"budget": 1200, "newsletter": True}

    def test_client_company_form_lands_in_that_company(
        self, public: TestClient, site: Tenant, make_client_company: Any
    ) -> None:
        northwind = make_client_company("northwind")
        result = public.post("/f/northwind/spring-form", json={"email": "c@n.test"})
        assert result.status_code == 200, result.text
        assert [c["email"] for c in items(public, northwind, "contacts")] == ["c@n.test"]
        assert items(public, site, "contacts") == []

    def test_identical_resubmission_is_acknowledged_but_stored_once(
        self, public: TestClient, site: Tenant
    ) -> None:
        body = {"email": "a@b.test", "first_name": "Ana"}
        first = public.post("/f/spring-form", json=body)
        again = public.post("/f/spring-form", json=body)
        assert first.json()["ok"] and again.json()["ok"]
        assert len(items(public, site, "interactions")) == 1
        assert len(items(public, site, "leads")) == 1


class TestAnswers:
    def test_redirect_field_on_the_same_site_is_followed(self, public: TestClient) -> None:
        result = public.post("/f/spring-form", follow_redirects=False, data={
            "email": "a@b.test", "_redirect": "https://acme.test/thanks"})
        assert result.headers["location"] == "https://acme.test/thanks"

    def test_relative_redirect_is_resolved_against_the_page(self, public: TestClient) -> None:
        result = public.post("/f/spring-form", follow_redirects=False,
                             data={"email": "a@b.test", "redirect": "/thanks?x=1"})
        assert result.headers["location"] == "https://www.acme.test/thanks?x=1"

    def test_redirect_to_another_site_is_not_followed(self, public: TestClient) -> None:
        result = public.post("/f/spring-form", follow_redirects=False,
                             data={"email": "a@b.test", "redirect": "https://evil.test/x"})
        assert result.headers["location"] == PAGE_URL + "?submitted=1"

    def test_redirect_to_the_senders_site_is_allowed(self, public: TestClient) -> None:
        result = public.post("/f/plain", follow_redirects=False, headers={
            "Origin": "https://shop.test"}, data={"email": "a@b.test",
                                                   "redirect": "https://shop.test/ok"})
        assert result.headers["location"] == "https://shop.test/ok"

    def test_page_without_address_answers_a_thank_you_page(self, public: TestClient) -> None:
        result = public.post("/f/plain", data={"email": "a@b.test"},
                             headers={"Referer": "https://shop.test/contact"})
        assert result.status_code == 200
        assert result.headers["content-type"].startswith("text/html")
        assert "Thank you" in result.text and 'href="https://shop.test/contact"' in result.text

    def test_preflight_allows_any_origin(self, public: TestClient) -> None:
        for path in ("/f/spring-form", "/f/northwind/spring-form"):
            result = public.options(path, headers={
                "Origin": "https://shop.test", "Access-Control-Request-Method": "POST"})
            assert result.status_code == 204
            assert result.headers["access-control-allow-origin"] == "*"
            assert "POST" in result.headers["access-control-allow-methods"]


class TestHoneypot:
    def test_filled_honeypot_looks_like_success_and_stores_nothing(
        self, public: TestClient, site: Tenant
    ) -> None:
        html = public.post("/f/spring-form", follow_redirects=False,
                           data={"email": "bot@spam.test", "lf_hp": "http://spam.test"})
        assert (html.status_code, html.headers["location"]) == (303, PAGE_URL + "?submitted=1")
        js = public.post("/f/spring-form", json={"email": "bot@spam.test", "lf_hp": "x"})
        assert js.json() == {"ok": True, "lead_id": None}
        assert nothing_stored(public, site)


class TestBadInput:
    @pytest.mark.parametrize("body, field", [
        ({"first_name": "Ana"}, "email"),
        ({"Email Address": "not-an-email"}, "Email Address"),
        ({"email": "a@b.test", "website": "n/a"}, "website"),
        ({"email": "a@b.test", "Budget": "lots"}, "Budget"),
        ({"email": "a@b.test", "first_name": "x" * 300}, "first_name"),
        ({"email": "a@b.test", "nested": {"a": 1}}, "nested"),
    ])
    def test_bad_json_submission_is_refused_naming_the_field_and_stores_nothing(
        self, public: TestClient, site: Tenant, body: dict[str, Any], field: str
    ) -> None:
        result = public.post("/f/spring-form", json=body)
        assert result.status_code == 422, result.text
        assert result.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in result.json()["errors"]]
        assert nothing_stored(public, site)

    def test_bad_html_submission_gets_a_page_listing_the_problem(
        self, public: TestClient, site: Tenant
    ) -> None:
        result = public.post("/f/spring-form", data={"Email Address": "<b>nope</b>"})
        assert result.status_code == 400
        assert result.headers["content-type"].startswith("text/html")
        assert "Email Address" in result.text and "&lt;b&gt;nope&lt;/b&gt;" in result.text
        assert nothing_stored(public, site)

    @pytest.mark.parametrize("path", ["/f/nope", "/f/nope/spring-form", "/f/northwind/plain"])
    def test_unknown_page_or_company_is_not_found(self, public: TestClient, path: str) -> None:
        result = public.post(path, data={"email": "a@b.test"})
        assert result.status_code == 404
        assert result.headers["content-type"] == "application/problem+json"

    def test_oversized_body_is_refused(self, public: TestClient, site: Tenant) -> None:
        result = public.post("/f/spring-form", data={"email": "a@b.test", "x": "y" * 70_000})
        assert result.status_code == 413
        assert nothing_stored(public, site)

    def test_unsupported_body_type_is_refused(self, public: TestClient) -> None:
        result = public.post("/f/spring-form", content=b"<a/>",
                             headers={"Content-Type": "application/xml"})
        assert result.status_code == 415

    def test_bad_json_body_is_refused(self, public: TestClient) -> None:
        result = public.post("/f/spring-form", content=b"{nope",
                             headers={"Content-Type": "application/json"})
        assert result.status_code == 422 and result.json()["errors"][0]["field"] == "body"


class TestRateLimit:
    def test_too_many_submissions_from_one_address_get_429(
        self, public: TestClient, site: Tenant
    ) -> None:
        public.app.state.rate_limiters = {"forms": SlidingWindow(2, 60)}  # type: ignore[attr-defined]
        for n in range(2):
            assert public.post("/f/spring-form", json={"email": f"{n}@b.test"}).status_code == 200
        refused = public.post("/f/spring-form", json={"email": "3@b.test"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert len(items(public, site, "contacts")) == 2
        other_company = public.post("/f/northwind/spring-form", json={"email": "x@n.test"})
        assert other_company.status_code == 200

    def test_window_slides(self) -> None:
        now = [0.0]
        window = SlidingWindow(2, 10, clock=lambda: now[0])
        assert window.hit("k") is None and window.hit("k") is None
        assert window.hit("k") == 10
        now[0] = 10.5
        assert window.hit("k") is None
        assert window.hit("other") is None
