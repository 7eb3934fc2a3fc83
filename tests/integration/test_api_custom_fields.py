"""Declaring custom fields (SPEC §1, "market segments") over REST."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_world import (
    API,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
)


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"key": "tier", "entity": "lead", "type": "choice"}, "choices", "at least one"),
    ({"key": "tier", "entity": "lead", "type": "choice", "choices": []}, "choices",
     "at least one"),
    ({"key": "tier", "entity": "lead", "type": "text", "choices": ["a"]}, "choices",
     "only choice"),
    ({"key": "email", "entity": "contact", "type": "text"}, "key", "built-in"),
    ({"key": "stage", "entity": "lead", "type": "text"}, "key", "built-in"),
    ({"key": "Tier", "entity": "lead", "type": "text"}, "key", "pattern"),
    ({"key": "1tier", "entity": "lead", "type": "text"}, "key", "pattern"),
    ({"key": "tier", "entity": "campaign", "type": "text"}, "entity", "contact"),
    ({"key": "tier", "entity": "lead", "type": "money"}, "type", "choice"),
])
def test_invalid_custom_field_is_rejected(
    api: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    assert words in field_errors(api.post(f"{API}/custom-fields", json=body))[field]
    assert items(api, "custom-fields") == []


def test_the_same_key_may_exist_on_two_entities(api: TestClient) -> None:
    post(api, "custom-fields", {"key": "tier", "entity": "lead", "type": "text"})
    post(api, "custom-fields", {"key": "tier", "entity": "account", "type": "number"})
    assert [f["entity"] for f in items(api, "custom-fields", key="tier")] == ["lead", "account"]


def test_duplicate_key_on_one_entity_is_a_conflict_naming_it(api: TestClient) -> None:
    post(api, "custom-fields", {"key": "tier", "entity": "lead", "type": "text"})
    answer = api.post(f"{API}/custom-fields", json={"key": "tier", "entity": "lead",
                                                    "type": "number"})
    assert answer.status_code == 409 and "tier" in answer.json()["detail"]


def test_key_and_entity_cannot_change_but_label_and_choices_can(api: TestClient) -> None:
    made = post(api, "custom-fields", {"key": "tier", "entity": "lead", "type": "choice",
                                       "choices": ["a"]})
    url = f"{API}/custom-fields/{made['id']}"
    errors = field_errors(api.patch(url, json={"key": "level", "entity": "contact"}))
    assert "cannot be changed" in errors["key"] and "cannot be changed" in errors["entity"]
    changed = api.patch(url, json={"label": "Tier", "choices": ["a", "b"]})
    assert changed.json()["choices"] == ["a", "b"] and changed.json()["label"] == "Tier"
    assert "choices" in field_errors(api.patch(url, json={"choices": None}))


def test_filter_custom_fields_by_entity(api: TestClient) -> None:
    post(api, "custom-fields", {"key": "tier", "entity": "lead", "type": "text"})
    post(api, "custom-fields", {"key": "segment", "entity": "contact", "type": "text"})
    assert [f["key"] for f in items(api, "custom-fields", entity="contact")] == ["segment"]
    assert [f["key"] for f in items(api, "custom-fields", q="seg")] == ["segment"]
