"""`leadflow apply`/`dump` of `assignment_rules` (SPEC §6.5, §4): created and updated by name,
the file's order is the order of evaluation, idempotent, dry-run plans, problems with paths and
lines that change nothing, and the dump round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.errors import ValidationFailed

BASE = """\
company: acme
custom_fields: [{key: segment, entity: contact, type: choice, choices: [smb, enterprise]}]
users:
  - {email: ana@acme.test, role: sales, territories: [west]}
  - {email: ben@acme.test, role: sales, capacity: 20}
  - {email: cy@acme.test, role: sales, available: false}
scoring_models:
  - key: engagement
    name: Engagement
    status: live
    grades: [{name: cold, max: 9}, {name: hot, min: 10}]
    rules: [{name: Forms, points: 10, conditions: [{entity: FormSubmitted, frequency: each}]}]
"""
RULES = """\
assignment_rules:
  - name: West hot leads
    conditions:
      - {entity: Lead.contact, where: [{field: state, op: in, value: [CA, OR, WA]}]}
      - {grade: {model: engagement, op: eq, value: hot}}
    assign: {round_robin: [ana@acme.test, {user: ben@acme.test, weight: 2}]}
    set: {territory: west, priority: high}
  - name: Enterprise
    conditions: [{entity: Contact, where: [{field: segment, op: eq, value: enterprise}]}]
    assign: {user: ben@acme.test}
  - name: Everyone else
    assign: {least_loaded: [ana@acme.test, ben@acme.test, cy@acme.test]}
"""
pytestmark = pytest.mark.usefixtures("site")


def rules(plan: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    return {item["key"]: (item["action"], item["fields"])
            for item in plan["items"] if item["section"] == "assignment_rules"}


def stored(db: Database) -> list[tuple[Any, ...]]:
    with db.transaction() as session:
        rows = session.scalars(select(t.AssignmentRule).order_by(t.AssignmentRule.position))
        seats = session.execute(select(t.RoundRobinMember.user_id, t.RoundRobinMember.weight,
                                       t.RoundRobinMember.served)).all()
        return [(r.position, r.name, r.enabled, r.conditions, r.assign, r.set_fields)
                for r in rows] + [tuple(seats)]


def test_rules_are_created_in_file_order_and_a_second_apply_changes_nothing(
    apply: Callable[..., dict[str, Any]], db: Database
) -> None:
    first = apply(BASE + RULES)
    assert rules(first) == {"West hot leads": ("create", []), "Enterprise": ("create", []),
                            "Everyone else": ("create", [])}
    before = stored(db)
    assert [row[1] for row in before[:-1]] == ["West hot leads", "Enterprise", "Everyone else"]
    assert len(before[-1]) == 2  # two round-robin seats
    second = apply(BASE + RULES)
    assert all(change == ("unchanged", []) for change in rules(second).values())
    assert stored(db) == before


def test_changes_and_a_new_order_are_planned_and_applied(
    apply: Callable[..., dict[str, Any]], db: Database
) -> None:
    apply(BASE + RULES)
    disabled = RULES.replace("  - name: Enterprise\n",
                             "  - name: Enterprise\n    enabled: false\n")
    _, west, enterprise, rest = disabled.split("  - name: ")
    text = "assignment_rules:\n" + "".join("  - name: " + item
                                            for item in (enterprise, west, rest))
    text = text.replace("weight: 2", "weight: 3")
    planned = apply(BASE + text, dry_run=True)
    assert rules(planned) == {"Enterprise": ("update", ["enabled", "position"]),
                              "West hot leads": ("update", ["assign", "position"]),
                              "Everyone else": ("unchanged", [])}
    before = stored(db)
    assert stored(db) == before  # the dry run wrote nothing
    apply(BASE + text)
    after = stored(db)
    assert [row[:3] for row in after[:-1]] == [(1, "Enterprise", False),
                                               (2, "West hot leads", True),
                                               (3, "Everyone else", True)]


def test_rules_the_file_does_not_name_are_kept_after_the_others(
    apply: Callable[..., dict[str, Any]], db: Database
) -> None:
    apply(BASE + RULES)
    apply(BASE + "assignment_rules:\n  - {name: New first}\n")
    assert [row[1] for row in stored(db)[:-1]] == [
        "New first", "West hot leads", "Enterprise", "Everyone else"]


def test_the_dump_applies_back_unchanged(apply: Callable[..., dict[str, Any]], db: Database,
                                         cli: Any) -> None:
    apply(BASE + RULES)
    dumped = cli("dump", "--company", "acme")
    assert dumped.exit_code == 0, dumped.output
    document = yaml.safe_load(dumped.stdout)
    assert document["assignment_rules"] == yaml.safe_load(RULES)["assignment_rules"]
    again = apply(dumped.stdout)
    assert all(change == ("unchanged", []) for change in rules(again).values())


def test_problems_name_the_rule_the_path_and_the_line_and_change_nothing(
    apply: Callable[..., dict[str, Any]], db: Database
) -> None:
    apply(BASE + RULES)
    before = stored(db)
    bad = RULES.replace("field: state", "field: stat").replace(
        "{user: ben@acme.test}", "{user: bob@acme.test}") + "  - {name: Enterprise}\n"
    with pytest.raises(ValidationFailed) as caught:
        apply(BASE + bad)
    found = [e.loc + ": " + e.message for e in caught.value.errors]
    assert any(f.startswith("assignment_rules[0] 'West hot leads', conditions[0].where[0].field"
                            ": unknown field `stat`") and "did you mean `state`" in f
               and "(line 16)" in f for f in found), found
    assert any(f.startswith("assignment_rules[1] 'Enterprise', assign.user: no user "
                            "'bob@acme.test'") for f in found), found
    assert any("assignment_rules[3] 'Enterprise'" in f and "duplicate" in f for f in found)
    assert stored(db) == before


def test_apply_cli_prints_the_plan(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(BASE + RULES, encoding="utf-8")
    result = cli("apply", "config.yaml", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert rules(plan)["Enterprise"] == ("create", [])
