"""Managing a company's assignment rules: read and check them against the company (its schema,
scoring models and users), save them in order, and keep their round-robin seats in step.

A rule is stored as its normalised conditions and `set` fields, and its owner choice with user
*ids* (`{"kind": "round_robin", "users": [{"id": 3, "weight": 2}]}`), so renaming a user's email
does not break it; it is shown with emails. Positions are 1, 2, 3… in the order rules are tried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import assignment as queries
from leadflow.db import scoring as scoring_queries
from leadflow.db import tables as t
from leadflow.domain import rotation
from leadflow.domain.assignment import (
    AssignmentRuleSpec,
    OwnerChoice,
    PoolMember,
    condition_dict,
    rule_dict,
)
from leadflow.domain.assignment_reader import RuleInvalid, Vocabulary, read_rule
from leadflow.errors import Conflict, FieldError, NotFound, ValidationFailed
from leadflow.services.scoring.catalog import company_schema

ID_KEYS = ("id", "position", "created_at", "updated_at")


def vocabulary(session: Session, company_id: int, *, users: bool = True) -> Vocabulary:
    """What the company's rules may name: its schema, models (with grade names) and users."""
    grades: dict[str, list[str]] = {}
    for row in scoring_queries.models(session, company_id):
        live = scoring_queries.version(session, company_id, row.live_version_id or -1)
        names: list[str] = []
        for definition in (live.definition if live else {}, row.draft or {}):
            names += [g["name"] for g in definition.get("grades", []) if g["name"] not in names]
        grades[row.key] = names
    emails = queries.user_emails(session, company_id) if users else None
    return Vocabulary(company_schema(session, company_id), grades, emails)


def check(session: Session, company_id: int, data: Mapping[str, Any]) -> AssignmentRuleSpec:
    """The rule `data` describes, checked against the company; ValidationFailed lists every
    problem with its path."""
    try:
        return read_rule(data, vocabulary(session, company_id))
    except RuleInvalid as error:
        raise ValidationFailed("The assignment rule is not valid", errors=[
            FieldError(e.path, e.message + (f" (hint: {e.hint})" if e.hint else ""))
            for e in error.errors]) from error


def spec_of(session: Session, row: t.AssignmentRule, vocabulary: Vocabulary | None = None,
            *, owners: bool = True) -> AssignmentRuleSpec:
    """A stored rule as a value (users by email; a deleted user drops out of its pool).
    Without `owners` the owner choice is left out (runs apply the stored one by user id)."""
    words = vocabulary or Vocabulary(company_schema(session, row.company_id), {})
    spec = read_rule({"name": row.name, "enabled": row.enabled, "conditions": row.conditions,
                      "set": row.set_fields or None}, words, check=False)
    stored = row.assign or {}
    if not owners:
        return spec
    users = stored.get("users", [])
    found = queries.users_by_id(session, row.company_id, (u["id"] for u in users))
    members = tuple(PoolMember(found[u["id"]].email, u.get("weight", 1)) for u in users
                    if u["id"] in found)
    if not stored or not members:
        return spec
    return AssignmentRuleSpec(spec.name, spec.conditions, OwnerChoice(stored["kind"], members),
                              spec.set_fields, spec.enabled)


def describe(session: Session, row: t.AssignmentRule) -> dict[str, Any]:
    """A rule as JSON-ready data."""
    return {"id": row.id, "position": row.position, **rule_dict(spec_of(session, row)),
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}


def get(session: Session, company_id: int, ident: str | int) -> t.AssignmentRule:
    """A rule by id or by name; NotFound otherwise."""
    text = str(ident).strip()
    row = queries.rule_by_id(session, company_id, int(text)) if (
        text.isdigit() and int(text) < 2**31) else None
    row = row or queries.rule_by_name(session, company_id, text)
    if row is None:
        raise NotFound(f"no assignment rule '{text}'")
    return row


def create(session: Session, company_id: int, data: Mapping[str, Any]) -> t.AssignmentRule:
    """Check and add a rule, last or at `position`."""
    body, position = _split(data)
    spec = check(session, company_id, body)
    if queries.rule_by_name(session, company_id, spec.name) is not None:
        raise Conflict(f"an assignment rule named '{spec.name}' already exists")
    row = t.AssignmentRule(company_id=company_id, name=spec.name, position=0)
    session.add(row)
    save_spec(session, row, spec)
    session.flush()
    move(session, company_id, row, position)
    return row


def update(session: Session, company_id: int, row: t.AssignmentRule, data: Mapping[str, Any]
           ) -> t.AssignmentRule:
    """Change the fields given (the rest stay) and maybe the position."""
    body, position = _split(data)
    current = rule_dict(spec_of(session, row))
    spec = check(session, company_id, {**current, **body})
    if spec.name != row.name and queries.rule_by_name(session, company_id, spec.name):
        raise Conflict(f"an assignment rule named '{spec.name}' already exists")
    save_spec(session, row, spec)
    session.flush()
    if position is not None:
        move(session, company_id, row, position)
    return row


def delete(session: Session, company_id: int, row: t.AssignmentRule) -> None:
    """Delete a rule (its history keeps the rule's name); the others close up."""
    session.delete(row)
    session.flush()
    renumber(queries.rules(session, company_id))


def move(session: Session, company_id: int, row: t.AssignmentRule, position: int | None) -> None:
    """Put `row` at `position` (1 = tried first; None or past the end = last)."""
    others = [r for r in queries.rules(session, company_id) if r.id != row.id]
    index = len(others) if position is None else max(0, min(position - 1, len(others)))
    renumber([*others[:index], row, *others[index:]])
    session.flush()


def renumber(rows: list[t.AssignmentRule]) -> None:
    for number, rule in enumerate(rows, start=1):
        if rule.position != number:
            rule.position = number


def save_spec(session: Session, row: t.AssignmentRule, spec: AssignmentRuleSpec) -> bool:
    """Write the rule's content; returns whether anything changed."""
    users = queries.users_by_email(session, row.company_id,
                                   (m.user for m in spec.assign.members) if spec.assign else ())
    stored: dict[str, Any] | None = None if spec.assign is None else {
        "kind": spec.assign.kind,
        "users": [{"id": users[m.user].id, "weight": m.weight} for m in spec.assign.members]}
    values = {"name": spec.name, "enabled": spec.enabled,
              "conditions": [condition_dict(c) for c in spec.conditions],
              "assign": stored, "set_fields": dict(spec.set_fields)}
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if row.id is None:
        session.flush()
    pool = stored["users"] if stored and stored["kind"] == "round_robin" else []
    sync_seats(session, row, [(u["id"], u["weight"]) for u in pool])
    return bool(changed)


def sync_seats(session: Session, row: t.AssignmentRule, pool: list[tuple[int, int]]) -> None:
    """Make the rule's round-robin seats match `pool` ((user id, weight) pairs): seats that
    stay keep their place, new ones join level with the rotation, weights keep levels."""
    seats = {s.user_id: s for s in queries.seats(session, row.company_id, row.id, lock=True)}
    wanted = dict(pool)
    for user_id in [u for u in seats if u not in wanted]:
        session.delete(seats.pop(user_id))
    staying = [rotation.Seat(s.user_id, s.weight, s.served) for s in seats.values()]
    for user_id, weight in pool:
        seat = seats.get(user_id)
        if seat is None:
            session.add(t.RoundRobinMember(
                company_id=row.company_id, rule_id=row.id, user_id=user_id, weight=weight,
                served=rotation.joining_served(staying, weight)))
        elif seat.weight != weight:
            seat.served = rotation.reweighted(seat.served, seat.weight, weight)
            seat.weight = weight
    session.flush()


def _split(data: Mapping[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The rule's content, and the position asked for (if any)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("an assignment rule is a JSON object")
    body = {k: v for k, v in data.items() if k not in ID_KEYS}
    position = data.get("position")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                 or position < 1):
        raise ValidationFailed("Invalid position", errors=[FieldError(
            "position", f"must be a whole number from 1 (tried first), got {position!r}")])
    return body, position
