"""Validation of scoring models: one ModelInvalid with every error, its path and words."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.scoring import ModelInvalid, model_from_dict

from .strategies import SCHEMA


def _model(*rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"key": "m", "name": "M", "rules": list(rules), **extra}


def _rule(*conditions: dict[str, Any], name: str = "Clicks", **extra: Any) -> dict[str, Any]:
    return {"name": name, "points": 5, "conditions": list(conditions), **extra}


def _cond(entity: str, *where: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"entity": entity, "where": list(where), **extra}


def _expr(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, **({} if value is None else {"value": value})}


def _errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ModelInvalid) as caught:
        model_from_dict(data, SCHEMA)
    return [(e.path, e.message) for e in caught.value.errors]


def test_unknown_field_names_rule_and_suggests() -> None:
    data = _model(_rule(_cond("Lead.contact", _expr("cty", "eq", "x"))))
    assert _errors(data) == [(
        "rules[0].conditions[0].where[0].field",
        "rule 'Clicks': unknown field `cty` on Contact; did you mean `city`?",
    )]


def test_unknown_field_has_hint_listing_fields() -> None:
    with pytest.raises(ModelInvalid) as caught:
        model_from_dict(_model(_rule(_cond("Account", _expr("size", "gt", 1)))), SCHEMA)
    assert "employees" in (caught.value.errors[0].hint or "")


def test_unknown_entity_suggests_interaction_type() -> None:
    [(path, message)] = _errors(_model(_rule(_cond("EmailClick"))))
    assert path == "rules[0].conditions[0].entity"
    assert "unknown entity `EmailClick`; did you mean `EmailClicked`?" in message


def test_unknown_relation_suggests() -> None:
    [(_, message)] = _errors(_model(_rule(_cond("Lead.contct"))))
    assert message == "rule 'Clicks': unknown relation `contct` on Lead; did you mean `contact`?"


def test_relation_used_as_field_is_explained() -> None:
    [(_, message)] = _errors(_model(_rule(_cond("Lead", _expr("contact", "is_empty")))))
    assert "`contact` is a relation of Lead, not a field" in message


def test_more_than_five_hops_is_rejected() -> None:
    entity = "Lead.contact.account.parent.parent.parent"
    [(path, message)] = _errors(_model(_rule(_cond(entity, _expr("parent.name", "eq", "x")))))
    assert path.endswith("where[0].field")
    assert "6 hops; at most 5" in message


def test_five_hops_are_fine() -> None:
    entity = "Lead.contact.account.parent.parent"
    model_from_dict(_model(_rule(_cond(entity, _expr("parent.name", "eq", "x")))), SCHEMA)


def test_operator_must_fit_field_type() -> None:
    [(path, message)] = _errors(_model(_rule(_cond("Account", _expr("employees", "contains", 5)))))
    assert path.endswith(".op")
    assert message == "rule 'Clicks': operator `contains` does not fit number field `employees`"


def test_booleans_only_take_equality() -> None:
    [(_, message)] = _errors(_model(_rule(_cond("Lead", _expr("sales_ready", "in", [True])))))
    assert "does not fit boolean" in message


def test_unknown_operator_suggests() -> None:
    [(_, message)] = _errors(_model(_rule(_cond("Lead", _expr("name", "equals", "x")))))
    assert "did you mean `eq`" in message or "unknown operator `equals`" in message


def test_value_must_fit_type() -> None:
    [(path, message)] = _errors(_model(_rule(_cond("Account", _expr("employees", "gt", "many")))))
    assert path.endswith(".value")
    assert "expects a number" in message


def test_choice_value_must_be_a_choice() -> None:
    [(_, message)] = _errors(_model(_rule(_cond("Lead", _expr("priority", "eq", "hihg")))))
    assert "'hihg' is not a choice of `priority`; did you mean `high`?" in message


def test_choice_value_is_case_insensitive() -> None:
    model_from_dict(_model(_rule(_cond("Lead", _expr("priority", "eq", "HIGH")))), SCHEMA)


def test_between_needs_two_ordered_values() -> None:
    bad = _model(_rule(_cond("Account", _expr("employees", "between", [500, 10]))))
    assert "low end is above the high end" in _errors(bad)[0][1]
    short = _model(_rule(_cond("Account", _expr("employees", "between", [10]))))
    assert "needs [low, high]" in _errors(short)[0][1]


def test_in_needs_a_non_empty_list() -> None:
    assert "needs a list" in _errors(_model(_rule(_cond("Lead", _expr("name", "in", [])))))[0][1]


def test_behaviour_settings_on_fixed_condition_are_rejected() -> None:
    errors = _errors(_model(_rule(_cond("Lead", frequency="each", window={"days": 3}))))
    assert [p for p, _ in errors] == ["rules[0].conditions[0].frequency",
                                      "rules[0].conditions[0].window"]
    assert "applies only to behaviour conditions" in errors[0][1]


def test_two_each_conditions_in_a_rule_are_rejected() -> None:
    rule = _rule(_cond("EmailClicked", frequency="each"), _cond("EmailOpened", frequency="each"))
    assert _errors(_model(rule)) == [(
        "rules[0].conditions", "rule 'Clicks': at most one condition may be EACH")]


def test_zero_points_rejected() -> None:
    assert _errors(_model(_rule(_cond("Lead"), points=0))) == [
        ("rules[0].points", "rule 'Clicks': points must not be zero")]


def test_limit_and_count_and_window_ranges() -> None:
    rule = _rule(_cond("EmailClicked", count=0, window={"days": 0}), limit=0)
    messages = [m for _, m in _errors(_model(rule))]
    assert "rule 'Clicks': limit must be at least 1" in messages
    assert "rule 'Clicks': count must be at least 1" in messages
    assert "rule 'Clicks': window days must be at least 1" in messages


def test_count_only_with_at_least() -> None:
    rule = _rule(_cond("EmailClicked", frequency="each", count=3))
    assert "count goes only with frequency at_least" in _errors(_model(rule))[0][1]


def test_rule_needs_a_condition_and_a_unique_name() -> None:
    errors = _errors(_model(_rule(), _rule(_cond("Lead"))))
    assert ("rules[0].conditions", "rule 'Clicks': needs at least one condition") in errors
    assert ("rules[1].name", "rule 'Clicks': another rule has the same name") in errors


def test_grades_with_gap_and_overlap() -> None:
    grades = [{"name": "a", "max": 9}, {"name": "b", "min": 11, "max": 20},
              {"name": "c", "min": 20}]
    errors = _errors(_model(_rule(_cond("Lead")), grades=grades))
    assert errors == [
        ("grades[1].min", "grade 'b': gap after grade 'a' (min should be 10)"),
        ("grades[2].min", "grade 'c': overlap after grade 'b' (min should be 21)"),
    ]


def test_only_first_grade_may_omit_min_and_only_last_max() -> None:
    grades = [{"name": "a", "max": 9}, {"name": "b", "max": 20}, {"name": "c", "min": 21}]
    assert _errors(_model(_rule(_cond("Lead")), grades=grades)) == [
        ("grades[1].min", "grade 'b': only the first grade may omit min")]
    grades = [{"name": "a", "min": 0}, {"name": "b", "min": 21}]
    assert ("grades[0].max", "grade 'a': only the last grade may omit max") in _errors(
        _model(_rule(_cond("Lead")), grades=grades))


def test_grade_min_above_max() -> None:
    grades = [{"name": "a", "min": 5, "max": 1}]
    assert "min 5 is above max 1" in _errors(_model(_rule(_cond("Lead")), grades=grades))[0][1]


def test_audience_must_be_fixed() -> None:
    errors = _errors(_model(_rule(_cond("Lead")), audience=[_cond("EmailClicked")]))
    assert errors[0][0] == "audience[0].entity"
    assert errors[0][1].startswith("audience: only Lead, Contact or Account")


def test_all_errors_are_reported_at_once() -> None:
    data = _model(_rule(_cond("Lead.contact", _expr("cty", "eq", "x")), points=0),
                  lead_scope="contacts")
    paths = [p for p, _ in _errors(data)]
    assert paths == ["lead_scope", "rules[0].points", "rules[0].conditions[0].where[0].field"]


def test_structure_errors_name_unknown_keys() -> None:
    errors = _errors(_model(_rule(_cond("Lead"), pionts=5)))
    assert ("rules[0].pionts", "rule 'Clicks': unknown key `pionts`; did you mean `points`?") \
        in errors


def test_structure_errors_for_missing_keys_and_types() -> None:
    errors = _errors({"key": "m", "name": "M", "rules": [{"name": "r", "points": "five",
                                                          "conditions": [{}]}]})
    assert ("rules[0].points", "rule 'r': `points` must be a whole number, got 'five'") in errors
    assert ("rules[0].conditions[0].entity", "rule 'r': `entity` is required") in errors


def test_model_key_and_kind() -> None:
    errors = _errors(_model(_rule(_cond("Lead")), key="Bad Key", kind="predictive"))
    assert [p for p, _ in errors] == ["key", "kind"]


def test_applies_to_shapes() -> None:
    errors = _errors(_model(_rule(_cond("Lead")), applies_to=[{"campaign": "a", "program": "b"},
                                                             {"company": "yes"}]))
    assert [p for p, _ in errors] == ["applies_to[0]", "applies_to[1].company"]


def test_error_message_renders_all_problems() -> None:
    with pytest.raises(ModelInvalid) as caught:
        model_from_dict(_model(_rule(_cond("Lead"), points=0)), SCHEMA)
    assert "rules[0].points: rule 'Clicks': points must not be zero" in str(caught.value)
    assert caught.value.errors[0].as_dict()["path"] == "rules[0].points"
