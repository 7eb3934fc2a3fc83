"""The dict (YAML/JSON) shape of models: SPEC §6.5, normalisation and typed values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from leadflow.scoring import DaysAgo, ModelInvalid, model_from_dict, model_to_dict

from .strategies import SCHEMA

SPEC_MODEL: dict[str, Any] = {
    "key": "engagement",
    "name": "Engagement",
    "status": "live",
    "lead_scope": "contact",
    "applies_to": [{"campaign": "spring"}],
    "sales_ready_score": 50,
    "grades": [{"name": "cold", "max": 19}, {"name": "warm", "min": 20, "max": 49},
               {"name": "hot", "min": 50}],
    "rules": [
        {"name": "Clicks", "points": 5,
         "conditions": [{"entity": "EmailClicked", "frequency": "each", "window": {"days": 90}}]},
        {"name": "Chicago", "points": 10,
         "conditions": [{"entity": "Lead.contact",
                         "where": [{"field": "city", "op": "eq", "value": "Chicago"}]}]},
    ],
}


def test_spec_yaml_model_reads_and_normalises() -> None:
    data = model_to_dict(model_from_dict(SPEC_MODEL))
    expected = {k: v for k, v in SPEC_MODEL.items() if k != "status"}
    assert data == {**expected, "kind": "rules"}


def test_to_dict_is_stable() -> None:
    once = model_to_dict(model_from_dict(SPEC_MODEL))
    assert model_to_dict(model_from_dict(once)) == once


def test_defaults_are_left_out_of_the_normalised_dict() -> None:
    data = {"key": "m", "name": "M", "rules": [{"name": "r", "points": 1, "conditions": [
        {"entity": "EmailOpened", "frequency": "at_least", "count": 1, "context": "lead",
         "where": []}]}]}
    assert model_to_dict(model_from_dict(data))["rules"][0]["conditions"] == [
        {"entity": "EmailOpened"}]


def _value(field: str, op: str, value: Any, entity: str = "Lead") -> Any:
    data = {"key": "m", "name": "M", "rules": [{"name": "r", "points": 1, "conditions": [
        {"entity": entity, "where": [{"field": field, "op": op, "value": value}]}]}]}
    return model_from_dict(data, SCHEMA).rules[0].conditions[0].where[0].value


def test_date_values_are_typed() -> None:
    assert _value("due_date", "lt", "2024-05-01") == date(2024, 5, 1)
    assert _value("due_date", "lt", date(2024, 5, 1)) == date(2024, 5, 1)
    assert _value("due_date", "ge", {"days_ago": 7}) == DaysAgo(7)


def test_datetime_values_are_utc() -> None:
    assert _value("created_at", "gt", "2024-05-01T12:00:00+02:00") == datetime(
        2024, 5, 1, 10, tzinfo=UTC)
    assert _value("created_at", "gt", "2024-05-01") == date(2024, 5, 1)


def test_lists_become_tuples_and_numbers_in_text_fields_become_text() -> None:
    assert _value("territory", "in", ["west", 5]) == ("west", "5")


def test_bad_date_is_a_value_error() -> None:
    with pytest.raises(ModelInvalid) as caught:
        _value("due_date", "lt", "May 1st")
    assert "expects a date" in caught.value.errors[0].message


def test_relative_date_shape_is_checked() -> None:
    with pytest.raises(ModelInvalid):
        _value("due_date", "lt", {"days": 7})


def test_window_since_is_a_date() -> None:
    data = {"key": "m", "name": "M", "rules": [{"name": "r", "points": 1, "conditions": [
        {"entity": "EmailOpened", "window": {"since": "2024-02-01"}}]}]}
    model = model_from_dict(data)
    assert model_to_dict(model)["rules"][0]["conditions"][0]["window"] == {"since": "2024-02-01"}
