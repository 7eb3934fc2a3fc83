"""How the evaluator reads values stored as text (JSON custom fields and attributes): rules the
SQL back end mirrors exactly (docs/scoring-language.md §6.2)."""

from __future__ import annotations

import pytest

from leadflow.scoring import ModelInvalid

from .builders import account, contact, facts_for, hit, lead, model, points


def _minutes(value: object) -> int:
    facts = facts_for(interactions=[hit("webinar_watched", attr={"minutes": value})])
    return points("WebinarWatched WHERE attr.minutes >= 30", facts)


@pytest.mark.parametrize("value", [45, 30.0, "45", " 45\n", "3e1", "30.5"])
def test_json_numbers_as_text_are_numbers(value: object) -> None:
    assert _minutes(value) == 1


@pytest.mark.parametrize("value", ["abc", "", "1_000", "0x10", "3.", "+45", "045", True, "٤٥"])
def test_other_text_is_not_a_number(value: object) -> None:
    assert _minutes(value) == 0


@pytest.mark.parametrize(("value", "expected"), [
    (True, 1), ("true", 1), ("TRUE", 1), ("1", 1), (1, 1), (1.0, 1),
    (False, 0), ("0", 0), (" true", 0), ("yes", 0), (2, 0),
])
def test_booleans_from_text_and_numbers(value: object, expected: int) -> None:
    facts = facts_for(lead(contact=contact(), vip=value))
    assert points("Lead WHERE vip = TRUE", facts) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-01", 1), ("2024-02-30", 0), ("0000-01-01", 0), ("2024-6-1", 0),
    ("2024-05-01T10:00:00Z", 0), ("20240501", 0),
])
def test_only_real_iso_days_are_dates(value: str, expected: int) -> None:
    facts = facts_for(lead(contact=contact(account=account(renewal=value))))
    assert points("Account WHERE renewal < '2024-06-01'", facts) == expected


def test_unreadable_value_is_not_empty_but_compares_as_null() -> None:
    facts = facts_for(lead(contact=contact(account=account(budget="abc"))))
    assert points("Account WHERE budget IS EMPTY", facts) == 0
    assert points("Account WHERE budget != 5", facts) == 0


def test_nul_in_a_text_literal_is_rejected() -> None:
    with pytest.raises(ModelInvalid, match="NUL"):
        model('MODEL "m"\nRULE "R" +1 WHEN Contact WHERE city = "a\\u0000"')
