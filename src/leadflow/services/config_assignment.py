"""The `assignment_rules` section of a configuration file (SPEC §6.5, §4).

Each item is a rule in its dict shape (`{name, enabled, conditions, assign, set}`), matched by
`name`. The order of the file is the order the rules are tried: the file's rules take
positions 1, 2, 3… in that order; rules of the company that the file does not name are kept
(apply never deletes) and follow, in their current order. Rules are checked against the
company as the sections before this one left it (custom fields, users, scoring models).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import assignment as queries
from leadflow.db import tables as t
from leadflow.domain.assignment import AssignmentRuleSpec, rule_dict
from leadflow.domain.assignment_reader import RuleInvalid, read_rule
from leadflow.services.assignment import rules
from leadflow.services.config_files import inline_leaves
from leadflow.services.config_plan import Action, Applying, Where

SECTION = "assignment_rules"
LABEL = "assignment rule"


def apply_rules(state: Applying, content: Any, where: Where) -> None:
    """Create or update every rule of the file, then put them in the file's order."""
    if content is None:
        return
    if not isinstance(content, list):
        state.problem(where, None, "must be a list of assignment rules")
        return
    words = rules.vocabulary(state.session, state.company.id)
    seen: dict[str, int] = {}
    read: list[tuple[Where, AssignmentRuleSpec]] = []
    for index, raw in enumerate(content):
        item = Where(SECTION, index, raw, line_hint=where.line_hint)
        spec = _read(state, item, raw, words, seen)
        if spec is not None:
            read.append((item, spec))
    if len(read) != len(content):
        return  # nothing is written; the apply fails with the problems found
    current = queries.rules(state.session, state.company.id)
    by_name = {row.name: row for row in current}
    saved: list[tuple[Where, t.AssignmentRule, Action, list[str]]] = []
    for item, spec in read:
        row, action, fields = _write(state, by_name.get(spec.name), spec)
        saved.append((item, row, action, fields))
    ordered = [row for _, row, _, _ in saved]
    ordered += [row for row in current if row not in ordered]
    before = {row.id: row.position for row in current}
    rules.renumber(ordered)
    state.session.flush()
    for item, row, action, fields in saved:
        if action != "create" and before.get(row.id) != row.position:
            fields.append("position")
        final: Action = action if action == "create" or not fields else "update"
        state.record(SECTION, LABEL, item.key or row.name, final, fields)


def dump_rules(session: Session, company: t.Company) -> list[dict[str, Any]]:
    """Every rule in the order they are tried, in file shape."""
    return [inline_leaves(rule_dict(rules.spec_of(session, row), compact=True))
            for row in queries.rules(session, company.id)]


def _read(state: Applying, item: Where, raw: Any, words: Any, seen: dict[str, int]
          ) -> AssignmentRuleSpec | None:
    name = raw.get("name") if isinstance(raw, dict) else None
    unique = True
    if isinstance(name, str) and name.strip():
        item.key = name = name.strip()
        unique = name not in seen
        if unique:
            seen[name] = item.index or 0
        else:
            state.problem(item, "name", f"duplicate of {SECTION}[{seen[name]}] (same name)")
    try:
        spec = read_rule(raw, words)
    except RuleInvalid as error:
        for problem in error.errors:
            hint = f" (hint: {problem.hint})" if problem.hint else ""
            state.problem(item, problem.path or None, problem.message + hint)
        return None
    return spec if unique else None


def _write(state: Applying, row: t.AssignmentRule | None, spec: AssignmentRuleSpec
           ) -> tuple[t.AssignmentRule, Action, list[str]]:
    """Save one rule; what happened to it and which fields changed."""
    session = state.session
    if row is None:
        row = t.AssignmentRule(company_id=state.company.id, name=spec.name,
                               position=len(queries.rules(session, state.company.id)) + 1)
        session.add(row)
        rules.save_spec(session, row, spec)
        return row, "create", []
    old, new = rule_dict(rules.spec_of(session, row)), rule_dict(spec)
    fields = [name for name in new if old.get(name) != new[name]]
    rules.save_spec(session, row, spec)
    return row, "unchanged", fields
