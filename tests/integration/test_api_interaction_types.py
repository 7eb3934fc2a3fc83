"""REST `/api/v1/interaction-types` (SPEC §1, §2.3): custom behaviour entities and typed
attributes, checked as the scoring core reads them, and used by ingestion and scoring."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_world import http  # noqa: F401  (the faster app fixture)

URL = "/api/v1/interaction-types"
WEBINAR = {"key": "webinar_watched", "name": "WebinarWatched",
           "attributes": [{"key": "minutes", "type": "number"}, {"key": "topic"}]}
FANS = {"key": "fans", "name": "Fans", "rules": [{
    "name": "Long webinars", "points": 10,
    "conditions": [{"entity": "WebinarWatched", "frequency": "each",
                    "where": [{"field": "attr.minutes", "op": "ge", "value": 30}]}]}]}


def made(api: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.post(URL, json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def errors_of(answer: Any, status: int = 422) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    return {e["field"]: e["message"] for e in answer.json().get("errors", [])}


def listed(api: TestClient) -> list[dict[str, Any]]:
    return list(api.get(URL).json()["items"])


class TestCrud:
    def test_create_read_by_key_change_and_delete(self, api: TestClient) -> None:
        created = made(api, WEBINAR)
        assert created["attributes"] == [{"key": "minutes", "type": "number"},
                                         {"key": "topic", "type": "text"}]
        assert api.get(f"{URL}/webinar_watched").json() == created
        assert api.get(f"{URL}/{created['id']}").json() == created
        changed = api.patch(f"{URL}/webinar_watched",
                            json={"attributes": [{"key": "minutes", "type": "number"}]})
        assert changed.status_code == 200, changed.text
        assert changed.json()["attributes"] == [{"key": "minutes", "type": "number"}]
        assert [t["key"] for t in listed(api)] == ["webinar_watched"]
        assert api.delete(f"{URL}/webinar_watched").status_code == 204
        assert listed(api) == []

    def test_a_built_in_key_without_a_name_only_types_its_attributes(
        self, api: TestClient
    ) -> None:
        created = made(api, {"key": "website_visited",
                             "attributes": [{"key": "pricing_views", "type": "number"}]})
        assert created["name"] is None

    def test_marketers_may_write_and_sales_may_only_read(
        self, api: TestClient, make_key, site  # type: ignore[no-untyped-def]
    ) -> None:
        marketer = make_key(site.company, "marketer").headers
        sales = make_key(site.company, "sales").headers
        assert api.post(URL, json=WEBINAR, headers=marketer).status_code == 201
        assert api.get(URL, headers=sales).json()["items"][0]["key"] == "webinar_watched"
        refused = api.patch(f"{URL}/webinar_watched", json={"name": "Webinar"}, headers=sales)
        assert refused.status_code == 403
        assert "interaction-types" in refused.json()["detail"]


BAD = {
    "custom key without a name": ({"key": "webinar_watched"}, "name",
                                  "is required: 'webinar_watched' is not a built-in"),
    "built-in key with a name": ({"key": "email_clicked", "name": "Clicked"}, "name",
                                 "'email_clicked' is the built-in type EmailClicked"),
    "root name": ({"key": "webinar", "name": "Lead"}, "name", "name `Lead` is already an entity"),
    "built-in type name": ({"key": "webinar", "name": "EmailOpened"}, "name",
                           "`EmailOpened` is already an entity"),
    "related entity name": ({"key": "webinar", "name": "Campaign"}, "name",
                            "`Campaign` is already an entity"),
    "name not CamelCase": ({"key": "webinar", "name": "webinar"}, "name", "use CamelCase"),
    "key not lower_snake": ({"key": "Webinar-Watched", "name": "WebinarWatched"}, "key",
                            "use lower_snake_case"),
    "attribute twice": ({**WEBINAR, "attributes": [{"key": "minutes"},
                                                   {"key": "minutes", "type": "number"}]},
                        "attributes", "attribute 'minutes' is declared twice"),
    "attribute type": ({**WEBINAR, "attributes": [{"key": "minutes", "type": "datetime"}]},
                       "attributes.0.type", "Input should be 'text', 'number', 'boolean' or"),
    "attribute key": ({**WEBINAR, "attributes": [{"key": "Minutes"}]}, "attributes.0.key",
                      "should match"),
    "unknown field": ({**WEBINAR, "colour": "red"}, "colour", "unknown field"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_declarations_are_refused_by_field_and_nothing_is_saved(
    api: TestClient, case: str
) -> None:
    body, field, words = BAD[case]
    errors = errors_of(api.post(URL, json=body))
    assert words in errors[field], errors
    assert listed(api) == []


def test_a_name_may_not_clash_with_another_custom_type(api: TestClient) -> None:
    made(api, WEBINAR)
    errors = errors_of(api.post(URL, json={"key": "webinar_seen", "name": "WebinarWatched"}))
    assert "`WebinarWatched` is already an entity" in errors["name"]
    again = api.post(URL, json={"key": "webinar_watched", "name": "WebinarSeen"})
    assert again.status_code == 409
    assert [t["key"] for t in listed(api)] == ["webinar_watched"]


def test_the_key_cannot_be_changed(api: TestClient) -> None:
    made(api, WEBINAR)
    errors = errors_of(api.patch(f"{URL}/webinar_watched", json={"key": "webinar_seen"}))
    assert "cannot be changed" in errors["key"]


class TestUsedByScoringModels:
    @pytest.fixture
    def model(self, api: TestClient) -> None:
        made(api, WEBINAR)
        saved = api.post("/api/v1/scoring-models", json=FANS | {"status": "live"})
        assert saved.status_code == 201, saved.text

    def test_a_rename_that_breaks_a_model_is_refused(self, api: TestClient, model: None) -> None:
        errors = errors_of(api.patch(f"{URL}/webinar_watched", json={"name": "WebinarSeen"}))
        assert "scoring model 'fans' (version 1) would no longer be valid" in errors["name"]
        assert api.get(f"{URL}/webinar_watched").json()["name"] == "WebinarWatched"

    def test_retyping_an_attribute_a_model_compares_as_a_number_is_refused(
        self, api: TestClient, model: None
    ) -> None:
        body = {"attributes": [{"key": "minutes", "type": "boolean"}]}
        errors = errors_of(api.patch(f"{URL}/webinar_watched", json=body))
        assert "scoring model 'fans'" in errors["attributes"]
        assert "attr.minutes" in errors["attributes"]

    def test_a_type_a_model_uses_cannot_be_deleted(self, api: TestClient, model: None) -> None:
        answer = api.delete(f"{URL}/webinar_watched")
        assert answer.status_code == 409
        assert "scoring model 'fans'" in answer.json()["detail"]
        assert [t["key"] for t in listed(api)] == ["webinar_watched"]

    def test_a_stopped_model_with_a_draft_without_the_type_no_longer_blocks_a_rename(
        self, api: TestClient, model: None
    ) -> None:
        assert api.post("/api/v1/scoring-models/fans/stop").status_code == 200
        other = {"name": "Any lead", "points": 1, "conditions": [{"entity": "Lead"}]}
        assert api.post("/api/v1/scoring-models", json=FANS | {"rules": [other]}
                        ).status_code == 201
        renamed = api.patch(f"{URL}/webinar_watched", json={"name": "WebinarSeen"})
        assert renamed.status_code == 200, renamed.text

    def test_changes_the_models_do_not_notice_are_allowed(
        self, api: TestClient, model: None
    ) -> None:
        body = {"attributes": [*WEBINAR["attributes"], {"key": "rating", "type": "number"}]}
        assert api.patch(f"{URL}/webinar_watched", json=body).status_code == 200


class TestIngestion:
    def test_a_declared_type_is_ingested_by_key_and_by_name(self, api: TestClient) -> None:
        made(api, WEBINAR)
        for given in ("webinar_watched", "WebinarWatched"):
            body = {"type": given, "contact_email": "ana@acme.test",
                    "attributes": {"minutes": "45", "topic": 7}}
            answer = api.post("/api/v1/interactions", json=body)
            assert answer.status_code == 201, answer.text
        stored = api.get("/api/v1/interactions", params={"type": "webinar_watched"}).json()
        assert [i["attributes"] for i in stored["items"]] == [{"minutes": 45, "topic": "7"}] * 2

    def test_a_declared_number_attribute_must_be_a_number(self, api: TestClient) -> None:
        made(api, WEBINAR)
        body = {"type": "WebinarWatched", "contact_email": "ana@acme.test",
                "attributes": {"minutes": "a while"}}
        errors = errors_of(api.post("/api/v1/interactions", json=body))
        assert "not a valid number" in errors["attributes.minutes"]
        assert api.get("/api/v1/interactions").json()["items"] == []

    def test_an_undeclared_type_is_refused_until_declared(self, api: TestClient) -> None:
        body = {"type": "WebinarWatched", "contact_email": "ana@acme.test"}
        assert "unknown interaction type" in errors_of(
            api.post("/api/v1/interactions", json=body))["type"]

    def test_a_declared_type_scores_with_its_typed_attribute(self, api: TestClient) -> None:
        made(api, WEBINAR)
        api.post("/api/v1/contacts", json={"email": "ana@acme.test"})
        lead = api.post("/api/v1/leads", json={"contact_email": "ana@acme.test"}).json()
        assert api.post("/api/v1/scoring-models", json=FANS | {"status": "live"}
                        ).status_code == 201
        for minutes in (45, 12):
            api.post("/api/v1/interactions", json={
                "type": "WebinarWatched", "contact_email": "ana@acme.test",
                "attributes": {"minutes": minutes}})
        scores = api.get(f"/api/v1/leads/{lead['id']}/scores").json()["models"]
        assert [(m["model"], m["score"]) for m in scores] == [("fans", 10)]
