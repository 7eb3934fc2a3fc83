"""Assignment rules as values (SPEC §4): reading and checking their shape with clear paths,
the dict shape round trip, and which rule holds for a lead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.domain.assignment import (
    AssignmentRuleSpec,
    StoredScore,
    field_changes,
    first_match,
    rule_dict,
)
from leadflow.domain.assignment_reader import RuleInvalid, Vocabulary, read_rule
from leadflow.scoring.evaluate import LeadFacts
from leadflow.scoring.schema import Schema

SCHEMA = Schema.build([{"key": "segment", "entity": "contact", "type": "choice",
                        "choices": ["smb", "enterprise"]}])
WORDS = Vocabulary(SCHEMA, {"engagement": ["cold", "warm", "hot"], "fit": []},
                   ["ana@acme.test", "ben@acme.test"])
NOW = datetime(2025, 6, 1, tzinfo=UTC)
WEST: dict[str, Any] = {
    "name": "West",
    "conditions": [{"entity": "Lead.contact",
                    "where": [{"field": "state", "op": "in", "value": ["CA", "WA"]}]}],
    "assign": {"round_robin": ["ana@acme.test", {"user": "ben@acme.test", "weight": 2}]},
    "set": {"territory": "west", "priority": "high"},
}


def errors_of(data: Any) -> dict[str, str]:
    with pytest.raises(RuleInvalid) as caught:
        read_rule(data, WORDS)
    return {e.path: e.message for e in caught.value.errors}


def test_a_rule_reads_and_writes_back_the_same_shape() -> None:
    rule = read_rule(WEST, WORDS)
    assert rule_dict(rule, compact=True) == WEST
    full = rule_dict(rule)
    assert full["enabled"] is True
    assert read_rule(full, WORDS) == rule


def test_score_grade_and_sales_ready_conditions_read_back() -> None:
    data = {"name": "Hot", "conditions": [
        {"score": {"model": "engagement", "op": "ge", "value": 50}},
        {"grade": {"model": "engagement", "op": "in", "value": ["hot", "warm"]}},
        {"grade": {"op": "eq", "value": "hot"}},
        {"sales_ready": True},
        {"entity": "Campaign", "where": [{"field": "key", "op": "eq", "value": "spring"}]},
        {"entity": "Contact", "where": [{"field": "segment", "op": "eq", "value": "smb"}]},
    ], "assign": {"user": "ANA@acme.test "}}
    rule = read_rule(data, WORDS)
    assert rule.assign is not None and rule.assign.members[0].user == "ana@acme.test"
    assert rule_dict(rule, compact=True)["conditions"] == data["conditions"]


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"conditions": [{"entity": "Lead.contact",
                      "where": [{"field": "stat", "op": "eq", "value": "CA"}]}]},
     "conditions[0].where[0].field", "did you mean `state`"),
    ({"conditions": [{"entity": "Contact",
                      "where": [{"field": "segment", "op": "eq", "value": "big"}]}]},
     "conditions[0].where[0].value", "not a choice of `segment`"),
    ({"conditions": [{"entity": "EmailClicked"}]}, "conditions[0].entity", "interaction type"),
    ({"conditions": [{"entity": "Leed"}]}, "conditions[0].entity", "did you mean `Lead`"),
    ({"conditions": [{"entity": "Lead.contct"}]}, "conditions[0].entity",
     "unknown relation `contct`"),
    ({"conditions": [{"score": {"model": "engagment", "op": "ge", "value": 5}}]},
     "conditions[0].score.model", "did you mean `engagement`"),
    ({"conditions": [{"score": {"model": "engagement", "op": "gte", "value": 5}}]},
     "conditions[0].score.op", "unknown operator `gte`"),
    ({"conditions": [{"score": {"op": "ge", "value": "lots"}}]},
     "conditions[0].score.value", "expects a number"),
    ({"conditions": [{"grade": {"model": "engagement", "op": "eq", "value": "hott"}}]},
     "conditions[0].grade.value", "did you mean `hot`"),
    ({"conditions": [{"grade": {"model": "fit", "op": "eq", "value": "A"}}]},
     "conditions[0].grade.model", "has no grades"),
    ({"conditions": [{"sales_ready": "yes"}]}, "conditions[0].sales_ready", "true or false"),
    ({"conditions": [{"owner": "ana"}]}, "conditions[0]", "a condition is"),
    ({"assign": {"round_robin": ["ana@acme.test", "cara@acme.test"]}},
     "assign.round_robin[1]", "no user 'cara@acme.test'"),
    ({"assign": {"round_robin": ["ana@acme.test", "ana@acme.test"]}},
     "assign.round_robin[1]", "listed twice"),
    ({"assign": {"round_robin": [{"user": "ana@acme.test", "weight": 0}]}},
     "assign.round_robin[0].weight", "from 1 to"),
    ({"assign": {"round_robbin": ["ana@acme.test"]}}, "assign.round_robbin",
     "did you mean `round_robin`"),
    ({"assign": {"least_loaded": []}}, "assign.least_loaded", "non-empty list"),
    ({"set": {"priority": "asap"}}, "set.priority", "must be one of"),
    ({"set": {"owner": "x"}}, "set.owner", "unknown key"),
    ({"name": " "}, "name", "needs a name"),
    ({"enabled": "no"}, "enabled", "true or false"),
    ({"colour": "red"}, "colour", "unknown key"),
    ({"set": {"status": "a\x00b"}}, "set.status", "NUL"),
])
def test_problems_are_reported_with_their_path(change: dict[str, Any], path: str,
                                               words: str) -> None:
    found = errors_of({**WEST, **change})
    assert path in found, found
    assert words in found[path]


def test_every_problem_is_reported_at_once() -> None:
    found = errors_of({"name": "", "conditions": [{"entity": "Nope"}],
                       "assign": {"user": "who@acme.test"}, "set": {"priority": "asap"}})
    assert {"name", "conditions[0].entity", "assign.user", "set.priority"} <= set(found)


def _facts(state: str | None, *, ready: bool = False) -> LeadFacts:
    contact = {"id": 1, "state": state, "segment": "smb"}
    lead = {"id": 1, "scope": "contact", "sales_ready": ready, "contact": contact,
            "campaign": {"id": 3, "key": "spring"}}
    return LeadFacts(lead, (contact,))


def _rules(*data: dict[str, Any]) -> list[AssignmentRuleSpec]:
    return [read_rule(d, WORDS) for d in data]


def test_the_first_enabled_rule_that_holds_wins() -> None:
    rules = _rules(
        {"name": "Off", "enabled": False, "conditions": []},
        {"name": "Hot", "conditions": [{"grade": {"model": "engagement", "op": "eq",
                                                  "value": "HOT"}}]},
        WEST,
        {"name": "Spring", "conditions": [
            {"entity": "Campaign", "where": [{"field": "key", "op": "eq", "value": "spring"}]}]},
        {"name": "Rest"},
    )
    hot = {"engagement": StoredScore(60, "hot")}
    assert first_match(rules, _facts("CA"), hot, NOW) == 1
    assert first_match(rules, _facts("CA"), {}, NOW) == 2
    assert first_match(rules, _facts("NY"), {}, NOW) == 3
    assert first_match(rules[:3], _facts("NY"), {}, NOW) is None


@pytest.mark.parametrize(("condition", "scores", "ready", "holds"), [
    ({"score": {"model": "engagement", "op": "ge", "value": 50}},
     {"engagement": StoredScore(50, "hot")}, False, True),
    ({"score": {"model": "engagement", "op": "ge", "value": 50}},
     {"fit": StoredScore(90, None)}, False, False),
    ({"score": {"op": "ge", "value": 50}},
     {"engagement": StoredScore(10, "cold"), "fit": StoredScore(90, None)}, False, True),
    ({"score": {"model": "engagement", "op": "is_empty"}}, {}, False, True),
    ({"grade": {"model": "engagement", "op": "in", "value": ["warm", "hot"]}},
     {"engagement": StoredScore(30, "warm")}, False, True),
    ({"grade": {"model": "engagement", "op": "ne", "value": "hot"}}, {}, False, False),
    ({"sales_ready": True}, {}, True, True),
    ({"sales_ready": False}, {}, True, False),
])
def test_conditions_on_what_scoring_decided(condition: dict[str, Any],
                                            scores: dict[str, StoredScore], ready: bool,
                                            holds: bool) -> None:
    rules = _rules({"name": "R", "conditions": [condition]})
    assert (first_match(rules, _facts("CA", ready=ready), scores, NOW) == 0) is holds


def test_field_changes_list_only_what_differs() -> None:
    assert field_changes({"territory": "west", "priority": "normal"},
                         {"territory": "west", "priority": "high"}) == {
        "priority": {"old": "normal", "new": "high"}}
