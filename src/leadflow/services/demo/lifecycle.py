"""The demo step that gives each seed lead the stage history that brought it to its stage, and
the leads that were converted their opportunity.

Like the leads themselves this is seed data, inserted in bulk without events: a sales-ready
lead was promoted (by the scoring) at its `sales_ready_at`, an accepted one was then accepted by
its owner, and so on; recycled nurture leads were sent back at their `recycled_at`. Leads in
stage opportunity and won, and lost leads that had been sales-ready, went through `convert` and
hold an opportunity (closed for won and lost); lost leads that never were sales-ready were
disqualified. Later steps (the month of activity, scoring) add their own changes through the
real services.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from leadflow.db import bulk
from leadflow.db import tables as t
from leadflow.services.demo.context import Demo
from leadflow.services.demo.people import PLACE_BY_CITY
from leadflow.services.stage_changes import SYSTEM

CURRENCIES = {"US": "USD", "CA": "CAD", "GB": "GBP", "SE": "SEK", "CH": "CHF"}  # else EUR
REASONS = {
    "reject": ("Student, no buying intent", "Existing customer, routed to support",
               "Contact details are not valid"),
    "recycle": ("No budget this quarter", "Timing: revisit after their fiscal year",
                "Went quiet after the first call"),
    "disqualify": ("Competitor researching us", "Outside our target market",
                   "Duplicate of another lead"),
    "lose": ("Chose a competitor", "Budget cut", "No decision made"),
}
Step = tuple[str, str, str]  # action, from stage, to stage


def load_lifecycle(demo: Demo) -> None:
    """Stage changes for every seed lead past nurture (or recycled), and its opportunity."""
    rng = demo.rng("lifecycle")
    history = _History(demo, rng)
    for lead in demo.leads:
        history.add(lead)
    bulk.add_all(demo.session, demo.company.id, history.changes)
    bulk.add_all(demo.session, demo.company.id, history.opportunities)
    links = [t.OpportunityExternalId(opportunity_id=row.id, system="salesforce",
                                     external_id=f"006{rng.randrange(10**12):012d}")
             for row in history.from_salesforce]
    bulk.add_all(demo.session, demo.company.id, links)


class _History:
    def __init__(self, demo: Demo, rng: random.Random) -> None:
        self.demo, self.rng = demo, rng
        self.emails = {u.id: u.email for u in demo.users}
        self.reps = [u.email for u in demo.sales_reps()]
        self.contacts = {c.id: c for c in demo.contacts}
        self.accounts = {a.id: a for a in demo.accounts}
        self.changes: list[t.StageChange] = []
        self.opportunities: list[t.Opportunity] = []
        self.from_salesforce: list[t.Opportunity] = []  # leads imported from Salesforce

    def add(self, lead: t.Lead) -> None:
        steps = self._steps(lead)
        if not steps:
            return
        person = self.emails.get(lead.owner_id or -1) or (
            self.rng.choice(self.reps) if self.reps else None)
        moments = self._moments(lead, len(steps))
        for (action, old, new), at in zip(steps, moments, strict=True):
            by_system = action == "promote" and lead.sales_ready_at is not None
            reason = self.rng.choice(REASONS[action]) if action in REASONS else None
            if by_system:
                reason = "reached the sales-ready score"
            self.changes.append(t.StageChange(
                lead_id=lead.id, action=action, from_stage=old, to_stage=new,
                actor=SYSTEM if by_system else person, reason=reason, at=at))
        if any(action == "convert" for action, _, _ in steps):
            converted = moments[[a for a, _, _ in steps].index("convert")]
            self._opportunity(lead, converted, moments[-1])

    def _steps(self, lead: t.Lead) -> list[Step]:
        """The actions that lead from nurture to the lead's stage."""
        rng, stage = self.rng, lead.stage
        if stage == "nurture":
            if lead.recycled_at is None:
                return []
            back = rng.choice(("reject", "recycle"))
            return [("promote", "nurture", "sales_ready"), (back, "sales_ready", "nurture")]
        if stage == "lost" and not lead.sales_ready:
            return [("disqualify", "nurture", "lost")]
        steps: list[Step] = [("promote", "nurture", "sales_ready")]
        if stage == "sales_ready":
            return steps
        steps.append(("accept", "sales_ready", "accepted"))
        if stage == "accepted":
            return steps
        if stage == "qualified" or rng.random() < 0.75:
            steps.append(("qualify", "accepted", "qualified"))
        if stage == "qualified":
            return steps
        steps.append(("convert", steps[-1][2], "opportunity"))
        if stage == "won":
            steps.append(("win", "opportunity", "won"))
        elif stage == "lost":
            steps.append(("lose", "opportunity", "lost"))
        return steps

    def _moments(self, lead: t.Lead, count: int) -> list[datetime]:
        """Increasing moments after the lead was created, never in the future; the first
        promote is when the lead became sales-ready, the recycle when it was recycled."""
        now, start = self.demo.now, lead.created_at
        if lead.sales_ready_at is not None:
            moments = [lead.sales_ready_at]
        else:
            end = lead.recycled_at or now
            moments = [start + (end - start) * self.rng.uniform(0.05, 0.6)]
        while len(moments) < count:
            moments.append(moments[-1] + (now - moments[-1]) * self.rng.uniform(0.1, 0.45))
        if lead.recycled_at is not None and lead.stage == "nurture":
            moments[-1] = lead.recycled_at
        return moments

    def _opportunity(self, lead: t.Lead, created: datetime, last: datetime) -> None:
        rng = self.rng
        status = lead.stage if lead.stage in ("won", "lost") else "open"
        contact = self.contacts.get(lead.contact_id or -1)
        account = self.accounts.get(lead.account_id or -1)
        city = (contact.city if contact else None) or (account.city if account else None)
        place = PLACE_BY_CITY.get(city or "London", PLACE_BY_CITY["London"])
        size = (account.employees or 50) if account else 20
        revenue = round(rng.uniform(2_000, 20_000) * (1 + min(size, 5_000) / 500), -2)
        closes = (last + timedelta(days=rng.randint(14, 90)) if status == "open" else last)
        row = t.Opportunity(
            name=lead.name, lead_id=lead.id, contact_id=lead.contact_id,
            account_id=lead.account_id, estimated_revenue=revenue,
            currency=CURRENCIES.get(place.country, "EUR"),
            probability={"won": 100, "lost": 0}.get(status, rng.choice((20, 40, 60, 75))),
            expected_close_date=closes.date(), status=status, source="promoted",
            closed_at=last if status != "open" else None, created_at=created, updated_at=last,
        )
        self.opportunities.append(row)
        if (lead.external_id or "").startswith("sfdc-"):
            self.from_salesforce.append(row)
