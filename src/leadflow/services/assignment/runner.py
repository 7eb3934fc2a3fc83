"""Running a company's assignment rules over leads (SPEC §4): the first enabled rule whose
conditions hold chooses the owner and sets fields; every outcome is recorded and emitted.

`assign_leads` is the one entry point every trigger calls (lead creation by any path, a save
without owner, sales-ready, on demand). Conditions are evaluated by the scoring core over the
same facts scoring reads (services/scoring/facts.FactLoader) and the scores stored at that
moment, so callers run it after rescoring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import assignment as queries
from leadflow.db import scoring as scoring_queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.domain.assignment import SET_FIELDS, StoredScore, field_changes, first_match
from leadflow.domain.assignment_reader import Vocabulary
from leadflow.services import events
from leadflow.services.assignment.owners import OwnerChooser
from leadflow.services.assignment.rules import spec_of
from leadflow.services.scoring.catalog import company_schema
from leadflow.services.scoring.facts import FactLoader

# What started a run: a lead created by the API, CLI or automatic generation; by an import;
# saved without an owner; flagged sales-ready; or a person asking (`assign`, `/run`).
TRIGGERS = ("created", "import", "saved", "sales_ready", "on_demand")
CHUNK = 500


@dataclass
class Outcome:
    """What the rules did (or, in a dry run, would do) to one lead.

    `result`: `assigned` (owner set), `unassignable` (a rule matched but none of its users can
    take the lead), `updated` (fields set, owner unchanged), `unchanged` (a rule matched and
    changed nothing), `no_match` (no enabled rule holds)."""

    lead_id: int
    lead: str
    result: str
    rule: str | None = None
    rule_id: int | None = None
    owner: dict[str, str | None] = field(default_factory=dict)  # {old, new} emails
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"lead_id": self.lead_id, "lead": self.lead, "result": self.result,
                "rule": self.rule, "rule_id": self.rule_id, "owner": self.owner,
                "set": self.changes, "reason": self.reason}


def assign_leads(
    session: Session, company: t.Company, lead_ids: Iterable[int], trigger: str, *,
    only_unassigned: bool = True, progress: Callable[[int], None] | None = None,
    rescore: bool = True,
) -> list[Outcome]:
    """Run the rules over these leads (missing ids are ignored). Leads that already have an
    owner are left alone unless `only_unassigned` is false (on demand). Writes owners, fields,
    the history and events in the session; the caller's transaction decides. Leads whose owner
    or fields changed are rescored (scoring conditions may read them), unless the caller
    rescores them itself (`rescore=False`: imports, at their end)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown assignment trigger {trigger!r}")
    rules = queries.rules(session, company.id)
    if not any(rule.enabled for rule in rules):
        return []
    run = _Run(session, company, trigger, rules)
    return run.leads(sorted(set(lead_ids)), only_unassigned, progress, rescore)


class _Run:
    def __init__(self, session: Session, company: t.Company, trigger: str,
                 rules: list[t.AssignmentRule]) -> None:
        self.session, self.company, self.trigger = session, company, trigger
        self.schema = company_schema(session, company.id)
        words = Vocabulary(self.schema, {})
        self.rules = rules
        self.specs = [spec_of(session, rule, words, owners=False) for rule in rules]
        self.owners = OwnerChooser(session, company.id)
        self.loader = FactLoader(session, company.id)
        self.emails: dict[int, str] = {}
        self.now = utcnow()

    def leads(self, ids: list[int], only_unassigned: bool,
              progress: Callable[[int], None] | None, rescore: bool) -> list[Outcome]:
        outcomes: list[Outcome] = []
        if len(ids) > 1:
            self.owners.lock([rule for rule in self.rules if rule.enabled])
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            leads = [lead for lead in queries.leads_by_id(self.session, self.company.id, chunk)
                     if not (only_unassigned and lead.owner_id is not None)]
            facts = self.loader.load(leads, self.now, behavior_reset=False, types=[])
            stored = scoring_queries.scores_by_lead(self.session, self.company.id,
                                                    [lead.id for lead in leads])
            for lead in leads:
                scores = {key: StoredScore(s["score"], s["grade"])
                          for key, s in stored.get(lead.id, {}).items()}
                outcomes.append(self.lead(lead, facts[lead.id], scores))
            self.owners.save()
            self.session.flush()
            if progress is not None:
                progress(len(chunk))
        changed = [o.lead_id for o in outcomes if o.result in ("assigned", "updated")]
        if changed and rescore:  # owner and fields may appear in scoring conditions
            from leadflow.services.scoring.rescore import Rescorer

            Rescorer(self.session, self.company, self.now).leads(changed, "lead_change")
        return outcomes

    def lead(self, lead: t.Lead, facts: Any, scores: dict[str, StoredScore]) -> Outcome:
        index = first_match(self.specs, facts, scores, self.now, self.schema)
        if index is None:
            return Outcome(lead.id, lead.name, "no_match")
        rule, spec = self.rules[index], self.specs[index]
        changes = field_changes({name: getattr(lead, name) for name in SET_FIELDS},
                                spec.set_fields)
        for name, change in changes.items():
            setattr(lead, name, change["new"])
        old = lead.owner_id
        outcome = Outcome(lead.id, lead.name, "updated" if changes else "unchanged", rule.name,
                          rule.id, changes=changes)
        if rule.assign:
            choice = self.owners.choose(rule, lead)
            if choice.user_id is None:
                outcome.result, outcome.reason = "unassignable", choice.reason
            elif choice.user_id != old:
                lead.owner_id, outcome.result = choice.user_id, "assigned"
        outcome.owner = {"old": self.email(old), "new": self.email(lead.owner_id)}
        if outcome.result != "unchanged":
            self.record(lead, rule, old, outcome)
        return outcome

    def record(self, lead: t.Lead, rule: t.AssignmentRule, old: int | None,
               outcome: Outcome) -> None:
        """The history row, and `lead.assigned` or `lead.unassignable`."""
        assigned = outcome.result == "assigned"
        self.session.add(t.Assignment(
            company_id=self.company.id, lead_id=lead.id, rule_id=rule.id, rule_name=rule.name,
            owner_id=lead.owner_id if assigned else None, previous_owner_id=old,
            trigger=self.trigger, at=self.now,
            changes={"result": outcome.result, "set": outcome.changes,
                     **({"reason": outcome.reason} if outcome.reason else {})}))
        if outcome.result == "updated":
            return
        payload: dict[str, Any] = {
            "lead_id": lead.id, "rule": rule.name, "rule_id": rule.id, "trigger": self.trigger,
            "owner": outcome.owner, "owner_id": {"old": old, "new": lead.owner_id},
            "set": outcome.changes}
        if assigned:
            events.record(self.session, self.company.id, "lead.assigned", payload,
                          lead_id=lead.id, at=self.now)
        else:
            events.record(self.session, self.company.id, "lead.unassignable",
                          {**payload, "reason": outcome.reason}, lead_id=lead.id, at=self.now)

    def email(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.emails:
            found = queries.users_by_id(self.session, self.company.id, [user_id])
            self.emails[user_id] = found[user_id].email if found else str(user_id)
        return self.emails[user_id]
