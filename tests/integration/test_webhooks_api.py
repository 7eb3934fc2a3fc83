"""Managing webhooks (SPEC §6.4, §6.5): REST, the delivery log, roles, tenant isolation,
`leadflow webhooks …` and the `webhooks` section of `leadflow apply` / `dump`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks import Webhook

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services.events import EVENT_TYPES
from tests.conftest import Tenant

API = "/api/v1"
URL = "https://crm.example/hooks"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def create(api: TestClient, **body: Any) -> dict[str, Any]:
    result = api.post(f"{API}/webhooks", json={"key": "crm", "url": URL,
                                              "events": ["lead.created"], **body})
    assert result.status_code == 201, result.text
    return dict(result.json())


def new_lead(api: TestClient, email: str = "ana@acme.test", **headers: str) -> None:
    api.post(f"{API}/contacts", json={"email": email}, headers=headers or None)
    result = api.post(f"{API}/leads", json={"contact_email": email}, headers=headers or None)
    assert result.status_code == 201, result.text


def stored_secret(db: Database, key: str = "crm") -> str:
    with db.transaction() as session:
        return session.scalars(select(t.WebhookSubscription.secret)
                               .where(t.WebhookSubscription.key == key)).one()


class TestSubscriptions:
    def test_a_generated_secret_is_shown_once(self, api: TestClient, db: Database) -> None:
        created = create(api)
        secret = created["secret"]
        assert secret.startswith("whsec_") and secret == stored_secret(db)
        Webhook(secret)  # a usable Standard Webhooks secret
        shown = api.get(f"{API}/webhooks/crm").json()
        assert shown["secret"] != secret and shown["secret"].endswith(secret[-4:])
        [listed] = api.get(f"{API}/webhooks").json()["items"]
        assert listed["secret"] == shown["secret"]
        assert secret not in api.get(f"{API}/webhooks").text

    def test_a_given_secret_is_kept(self, api: TestClient, db: Database) -> None:
        create(api, secret=SECRET)
        assert stored_secret(db) == SECRET

    def test_read_change_and_delete(self, api: TestClient) -> None:
        created = create(api)
        assert api.get(f"{API}/webhooks/{created['id']}").json()["key"] == "crm"
        result = api.patch(f"{API}/webhooks/crm", json={
            "events": ["lead.sales_ready", "lead.updated", "lead.sales_ready"],
            "url": "http://crm.example:8080/other", "enabled": False})
        assert result.status_code == 200, result.text
        changed = result.json()
        assert (changed["events"], changed["url"], changed["enabled"]) == (
            ["lead.sales_ready", "lead.updated"], "http://crm.example:8080/other", False)
        assert api.delete(f"{API}/webhooks/crm").status_code == 204
        assert api.get(f"{API}/webhooks/crm").status_code == 404
        assert api.get(f"{API}/webhooks").json()["items"] == []

    def test_unknown_event_types_are_refused_naming_the_known_ones(self, api: TestClient
                                                                   ) -> None:
        result = api.post(f"{API}/webhooks", json={"key": "crm", "url": URL,
                                                  "events": ["lead.created", "lead.exploded"]})
        assert result.status_code == 422
        [error] = result.json()["errors"]
        assert "lead.exploded" in error["message"]
        assert all(known in error["message"] for known in EVENT_TYPES)
        assert api.get(f"{API}/webhooks").json()["items"] == []

    @pytest.mark.parametrize("url", [
        "ftp://crm.example/hooks", "file:///etc/passwd", "javascript:alert(1)", "crm.example",
        "https://", "http://exa mple.test/", "https://crm.example:http/",
    ])
    def test_only_http_and_https_urls(self, api: TestClient, url: str) -> None:
        result = api.post(f"{API}/webhooks", json={"key": "crm", "url": url,
                                                  "events": ["lead.created"]})
        assert result.status_code == 422, url
        assert result.json()["errors"][0]["field"].endswith("url")

    @pytest.mark.parametrize("body", [
        {"events": []}, {"secret": "not-a-secret"}, {"secret": "whsec_short"},
        {"secret": "whsec_!!!!notbase64!!!!!!!!!!!!!!!!"}, {"key": "Not A Slug"},
        {"colour": "red"},
    ])
    def test_bad_subscriptions_are_refused(self, api: TestClient, body: dict[str, Any]) -> None:
        result = api.post(f"{API}/webhooks", json={"key": "crm", "url": URL,
                                                  "events": ["lead.created"], **body})
        assert result.status_code == 422, body
        assert api.get(f"{API}/webhooks").json()["items"] == []

    def test_keys_are_unique(self, api: TestClient) -> None:
        create(api)
        again = api.post(f"{API}/webhooks", json={"key": "crm", "url": URL,
                                                 "events": ["lead.created"]})
        assert again.status_code == 409
        create(api, key="other")
        assert api.patch(f"{API}/webhooks/other", json={"key": "crm"}).status_code == 409

    def test_only_admins_manage_webhooks(self, api: TestClient, site: Tenant, make_key: Any
                                         ) -> None:
        create(api)
        marketer = make_key(site.company, "marketer")
        for method, path in [("get", "/webhooks"), ("get", "/webhooks/crm"),
                             ("post", "/webhooks"), ("delete", "/webhooks/crm"),
                             ("get", "/webhooks/crm/deliveries")]:
            body = {"json": {"key": "x", "url": URL, "events": ["lead.created"]}} if (
                method == "post") else {}
            result = getattr(api, method)(f"{API}{path}", headers=marketer.headers, **body)
            assert result.status_code == 403, (method, path)


class TestDeliveryLog:
    def test_the_log_lists_messages_with_their_tries_and_filters_by_status(
        self, api: TestClient, db: Database
    ) -> None:
        create(api)
        for number in range(3):
            new_lead(api, f"p{number}@acme.test")
        with db.transaction() as session:
            first = session.scalars(select(t.WebhookDelivery).order_by(t.WebhookDelivery.id)
                                    ).first()
            assert first is not None
            first.status, first.attempts = "dead", 8
            session.add(t.WebhookAttempt(company_id=first.company_id, delivery_id=first.id,
                                         status_code=500, response_body="no", duration_ms=3))
        page = api.get(f"{API}/webhooks/crm/deliveries", params={"limit": 2}).json()
        assert [item["status"] for item in page["items"]] == ["pending", "pending"]
        rest = api.get(f"{API}/webhooks/crm/deliveries",
                       params={"limit": 2, "cursor": page["next_cursor"]}).json()
        [dead] = rest["items"]
        assert rest["next_cursor"] is None
        assert (dead["status"], dead["attempts"], dead["event_type"]) == ("dead", 8,
                                                                         "lead.created")
        assert dead["attempt_log"][0] | {"at": None} == {
            "at": None, "status_code": 500, "response_body": "no", "error": None,
            "duration_ms": 3}
        assert dead["payload"]["data"]["lead"]["contact_email"] == "p0@acme.test"
        only = api.get(f"{API}/webhooks/crm/deliveries", params={"status": "dead"}).json()
        assert [item["id"] for item in only["items"]] == [dead["id"]]
        one = api.get(f"{API}/webhooks/deliveries/{dead['id']}").json()
        assert one["message_id"] == dead["message_id"]
        bad = api.get(f"{API}/webhooks/crm/deliveries", params={"status": "lost"})
        assert bad.status_code == 422

    def test_a_pending_message_cannot_be_redelivered(self, api: TestClient, db: Database
                                                     ) -> None:
        create(api)
        new_lead(api)
        [item] = api.get(f"{API}/webhooks/crm/deliveries").json()["items"]
        result = api.post(f"{API}/webhooks/deliveries/{item['id']}/redeliver")
        assert result.status_code == 409
        assert api.post(f"{API}/webhooks/deliveries/999999/redeliver").status_code == 404

    def test_a_disabled_subscription_cannot_be_tested(self, api: TestClient) -> None:
        create(api, enabled=False)
        assert api.post(f"{API}/webhooks/crm/test").status_code == 409


class TestTenantIsolation:
    def test_a_company_sees_neither_the_webhooks_nor_the_deliveries_of_another(
        self, api: TestClient, make_client_company: Any
    ) -> None:
        create(api)
        new_lead(api)
        [item] = api.get(f"{API}/webhooks/crm/deliveries").json()["items"]
        other: Tenant = make_client_company("northwind")
        headers = other.headers
        assert api.get(f"{API}/webhooks", headers=headers).json()["items"] == []
        assert api.get(f"{API}/webhooks/crm", headers=headers).status_code == 404
        assert api.get(f"{API}/webhooks/crm/deliveries", headers=headers).status_code == 404
        assert api.get(f"{API}/webhooks/deliveries/{item['id']}",
                       headers=headers).status_code == 404
        assert api.post(f"{API}/webhooks/deliveries/{item['id']}/redeliver",
                        headers=headers).status_code == 404
        assert api.patch(f"{API}/webhooks/crm", json={"enabled": False},
                         headers=headers).status_code == 404
        assert api.delete(f"{API}/webhooks/crm", headers=headers).status_code == 404
        # The same key in another company is another subscription.
        result = api.post(f"{API}/webhooks", json={"key": "crm", "url": URL,
                                                  "events": ["lead.created"]}, headers=headers)
        assert result.status_code == 201
        assert api.get(f"{API}/webhooks/crm/deliveries", headers=headers).json()["items"] == []

    def test_a_site_admin_acts_on_a_client_by_naming_it(self, api: TestClient,
                                                        make_client_company: Any) -> None:
        make_client_company("northwind")
        created = api.post(f"{API}/webhooks", json={"key": "crm", "url": URL,
                                                    "events": ["lead.created"]},
                           headers={"X-Company": "northwind"})
        assert created.status_code == 201
        assert api.get(f"{API}/webhooks").json()["items"] == []
        assert len(api.get(f"{API}/webhooks", headers={"X-Company": "northwind"}
                           ).json()["items"]) == 1


class TestCommandLine:
    def test_list_deliveries_and_errors(self, api: TestClient, cli: Any) -> None:
        created = create(api)
        new_lead(api)
        listed = cli("webhooks", "list", "--json")
        assert listed.exit_code == 0, listed.output
        [item] = json.loads(listed.stdout)["items"]
        assert item["key"] == "crm" and created["secret"] not in listed.stdout
        table = cli("webhooks", "list")
        assert "crm" in table.stdout and created["secret"] not in table.stdout
        log = cli("webhooks", "deliveries", "crm", "--json", "--status", "pending")
        assert log.exit_code == 0, log.output
        [message] = json.loads(log.stdout)["items"]
        assert message["event_type"] == "lead.created"
        assert "lead.created" in cli("webhooks", "deliveries", "crm").stdout
        missing = cli("webhooks", "deliveries", "nowhere")
        assert missing.exit_code == 1 and "no webhook subscription 'nowhere'" in missing.stderr
        pending = cli("webhooks", "redeliver", str(message["id"]))
        assert pending.exit_code == 1 and "already waiting" in pending.stderr
        assert "Traceback" not in pending.output


class TestConfigurationAsCode:
    def write(self, tmp_path: Path, text: str) -> str:
        path = tmp_path / "config.yaml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    def test_apply_creates_then_changes_nothing_and_dump_hides_secrets(
        self, cli: Any, db: Database, site: Tenant, tmp_path: Path
    ) -> None:
        text = ("company: acme\nwebhooks:\n"
                f"  - {{key: crm, url: '{URL}', events: [lead.sales_ready]}}\n"
                f"  - {{key: erp, url: '{URL}', events: [lead.created], secret: {SECRET},"
                " enabled: false}\n")
        first = cli("apply", self.write(tmp_path, text))
        assert first.exit_code == 0, first.output
        assert "webhook 'crm': create" in first.stdout
        generated = stored_secret(db, "crm")
        assert generated in first.stdout  # shown once, in the apply's notes
        assert SECRET not in first.stdout and stored_secret(db, "erp") == SECRET
        second = cli("apply", self.write(tmp_path, text))
        assert second.exit_code == 0, second.output
        assert "nothing changed" in second.stdout
        assert stored_secret(db, "crm") == generated
        dumped = cli("dump", "--company", "acme")
        assert dumped.exit_code == 0, dumped.output
        assert "webhooks:" in dumped.stdout and "erp" in dumped.stdout
        assert generated not in dumped.stdout and SECRET not in dumped.stdout
        assert "whsec_" not in dumped.stdout
        again = cli("apply", self.write(tmp_path, dumped.stdout))
        assert again.exit_code == 0 and "nothing changed" in again.stdout, again.output
        assert (stored_secret(db, "crm"), stored_secret(db, "erp")) == (generated, SECRET)

    def test_apply_updates_by_key_and_dry_run_writes_nothing(
        self, cli: Any, db: Database, site: Tenant, tmp_path: Path
    ) -> None:
        base = f"company: acme\nwebhooks: [{{key: crm, url: '{URL}', events: [lead.created]}}]\n"
        assert cli("apply", self.write(tmp_path, base)).exit_code == 0
        changed = base.replace("[lead.created]", "[lead.created, lead.updated]")
        dry = cli("apply", self.write(tmp_path, changed), "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "webhook 'crm': update (fields: events)" in dry.stdout
        with db.transaction() as session:
            row = session.scalars(select(t.WebhookSubscription)).one()
            assert row.events == ["lead.created"]
        assert cli("apply", self.write(tmp_path, changed)).exit_code == 0
        with db.transaction() as session:
            row = session.scalars(select(t.WebhookSubscription)).one()
            assert row.events == ["lead.created", "lead.updated"]
