"""Company settings: names, allowed values, defaults (SPEC §6.5)."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.domain.settings import DEFAULTS, effective_settings, validate_settings
from leadflow.errors import ValidationFailed


def test_defaults_are_the_documented_ones() -> None:
    assert effective_settings(None) == {
        "scoring.model_selection": "all",
        "leads.creation_strategy": "campaign",
        "leads.creation_scope": "contact",
        "lifecycle.auto_advance_on_sales_ready": True,
        "lifecycle.recycle_resets_behavior": True,
        "assignment.on_sales_ready": False,
    }


def test_stored_settings_override_defaults_only_where_set() -> None:
    effective = effective_settings({"leads.creation_scope": "account"})
    assert effective == {**DEFAULTS, "leads.creation_scope": "account"}


@pytest.mark.parametrize(("given", "stored"), [
    ({"scoring.model_selection": "context"}, {"scoring.model_selection": "context"}),
    ({"leads.creation_strategy": "company"}, {"leads.creation_strategy": "company"}),
    ({"lifecycle.recycle_resets_behavior": False}, {"lifecycle.recycle_resets_behavior": False}),
    ({"lifecycle.auto_advance_on_sales_ready": "No"},
     {"lifecycle.auto_advance_on_sales_ready": False}),
    ({"lifecycle.auto_advance_on_sales_ready": "on"},
     {"lifecycle.auto_advance_on_sales_ready": True}),
    ({}, {}),
])
def test_valid_settings_are_normalised(given: dict[str, Any], stored: dict[str, Any]) -> None:
    assert validate_settings(given) == stored


@pytest.mark.parametrize(("given", "name", "words"), [
    ({"scoring.model_selection": "best"}, "scoring.model_selection", "all, context"),
    ({"leads.creation_scope": None}, "leads.creation_scope", "contact, account"),
    ({"lifecycle.recycle_resets_behavior": 1}, "lifecycle.recycle_resets_behavior",
     "true or false"),
    ({"lifecycle.recycle_resets_behavior": "maybe"}, "lifecycle.recycle_resets_behavior",
     "true or false"),
    ({"scoring": "all"}, "scoring", "unknown setting"),
])
def test_invalid_settings_name_the_setting_and_the_choices(
    given: dict[str, Any], name: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate_settings(given)
    [error] = raised.value.errors
    assert error.loc == name and words in error.message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate_settings({"a": 1, "b": 2, "leads.creation_scope": "team"})
    assert [e.loc for e in raised.value.errors] == ["a", "b", "leads.creation_scope"]
