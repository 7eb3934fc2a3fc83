"""The life-cycle stage machine (SPEC §5): every action from every stage, allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from leadflow.domain import lifecycle
from leadflow.domain.lifecycle import TransitionRefused, allowed_actions, check
from leadflow.errors import Conflict, NotFound, ValidationFailed

# The spec's table, written out independently of the implementation: stage → {action: target}.
ALLOWED = {
    "nurture": {"promote": "sales_ready", "disqualify": "lost"},
    "sales_ready": {"accept": "accepted", "reject": "nurture", "recycle": "nurture",
                    "disqualify": "lost"},
    "accepted": {"recycle": "nurture", "qualify": "qualified", "convert": "opportunity",
                 "disqualify": "lost"},
    "qualified": {"recycle": "nurture", "convert": "opportunity", "disqualify": "lost"},
    "opportunity": {"win": "won", "lose": "lost", "disqualify": "lost"},
    "won": {},
    "lost": {},
}
ACTIONS = ("promote", "accept", "reject", "recycle", "qualify", "convert", "win", "lose",
           "disqualify")
NEEDS_REASON = {"reject", "recycle", "disqualify"}
PAIRS = list(itertools.product(ALLOWED, ACTIONS))


def test_stages_and_actions_are_the_specs() -> None:
    assert tuple(ALLOWED) == lifecycle.STAGES
    assert lifecycle.OPEN_STAGES == ("nurture", "sales_ready", "accepted", "qualified",
                                     "opportunity")
    assert tuple(lifecycle.ACTIONS) == ACTIONS
    assert {a for a, action in lifecycle.ACTIONS.items() if action.needs_reason} == NEEDS_REASON


@pytest.mark.parametrize(("stage", "action"), [p for p in PAIRS if p[1] in ALLOWED[p[0]]])
def test_allowed_action_leads_to_its_stage(stage: str, action: str) -> None:
    step = check(stage, action, "because")
    assert step.target == ALLOWED[stage][action]
    assert step.closes is (step.target in ("won", "lost"))
    assert step.recycles is (action in ("reject", "recycle"))


@pytest.mark.parametrize(("stage", "action"), [p for p in PAIRS if p[1] not in ALLOWED[p[0]]])
def test_refused_action_names_the_allowed_ones(stage: str, action: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check(stage, action, "because")
    error = refused.value
    assert isinstance(error, Conflict) and error.status == 409
    assert list(error.allowed) == list(ALLOWED[stage])
    problem = error.problem()
    assert problem["allowed_actions"] == list(ALLOWED[stage])
    assert (problem["stage"], problem["action"]) == (stage, action)
    assert f"'{stage}'" in str(error)
    for name in ALLOWED[stage]:
        assert name in str(error)
    if not ALLOWED[stage]:
        assert "closed" in str(error)


@pytest.mark.parametrize("stage", list(ALLOWED))
def test_allowed_actions_of_each_stage(stage: str) -> None:
    assert allowed_actions(stage) == tuple(ALLOWED[stage])


@pytest.mark.parametrize(("stage", "action"), [
    ("sales_ready", "reject"), ("accepted", "recycle"), ("opportunity", "disqualify")])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reason_is_required_where_the_spec_says(stage: str, action: str,
                                                 reason: str | None) -> None:
    with pytest.raises(ValidationFailed) as missing:
        check(stage, action, reason)
    assert [e.loc for e in missing.value.errors] == ["reason"]


def test_other_actions_take_an_optional_reason_of_bounded_length() -> None:
    assert check("nurture", "promote", None).target == "sales_ready"
    assert check("opportunity", "lose", "Chose a competitor").target == "lost"
    with pytest.raises(ValidationFailed):
        check("opportunity", "lose", "x" * (lifecycle.MAX_REASON + 1))


def test_unknown_action_is_not_found_and_lists_the_actions() -> None:
    with pytest.raises(NotFound) as unknown:
        check("nurture", "archive", None)
    assert "archive" in str(unknown.value) and "disqualify" in str(unknown.value)
