"""Rescoring stored scores: evaluate live models, write changes and the ledger, flag sales-ready."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.domain.settings import effective_settings
from leadflow.scoring.evaluate import LeadFacts, ModelScore
from leadflow.services import events, stage_changes
from leadflow.services.scoring.catalog import LiveModel, company_schema, live_models, score_lead
from leadflow.services.scoring.facts import FactLoader

CHUNK = 500
# From this many leads on, scoring runs inside the database (services/scoring/bulk.py): one
# compiled query per model instead of the evaluator lead by lead. Both store the same results.
IN_DATABASE_FROM = 200
AUTO_PROMOTE_REASON = "reached the sales-ready score"


@dataclass
class Summary:
    """What a rescore changed."""

    leads: int = 0
    changed: int = 0
    sales_ready: list[int] = field(default_factory=list)


@dataclass
class Rescorer:
    """Brings the stored scores of a company's leads up to date as of `now`."""

    session: Session
    company: t.Company
    now: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self.schema = company_schema(self.session, self.company.id)
        self.live: list[LiveModel] = live_models(self.session, self.company.id, self.schema)
        self.settings = effective_settings(self.company.settings)
        self.loader = FactLoader(self.session, self.company.id)

    def leads(
        self, lead_ids: Iterable[int], cause: str, cause_id: int | None = None,
        progress: Callable[[int], None] | None = None,
        cause_ids: dict[int, int] | None = None,
    ) -> Summary:
        """Rescore these leads in every live model; `cause` (and the id of what caused it,
        per lead in `cause_ids`) goes to the ledger."""
        summary = Summary()
        ids = sorted(set(lead_ids))
        if not self.live and not queries.scores_of(self.session, self.company.id, ids[:1]):
            return summary  # nothing scores these leads: nothing can change
        if self.live and len(ids) >= IN_DATABASE_FROM:
            from leadflow.services.scoring.bulk import BulkRescorer  # it builds on this module

            causes = cause_ids or {}
            bulk = BulkRescorer(self.session, self.company, self.now, (self.schema, self.live))
            summary = bulk.leads(
                {lead_id: causes.get(lead_id, cause_id) for lead_id in ids}, cause)
            if progress is not None:
                progress(len(ids))
            return summary
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            leads = queries.rows_by_id(self.session, self.company.id, t.Lead, chunk)
            self._chunk(leads, cause, cause_id, summary, cause_ids or {})
            if progress is not None:
                progress(len(chunk))
        return summary

    def contacts(self, contact_ids: Iterable[int], account_ids: Iterable[int], cause: str,
                 cause_id: int | None = None) -> Summary:
        """Rescore every lead whose score may depend on these contacts' activity."""
        rows = queries.leads_of_people(self.session, self.company.id, contact_ids, account_ids)
        return self.leads([lead_id for lead_id, *_ in rows], cause, cause_id)

    def activity(self, touched: dict[int, tuple[int | None, int]]) -> Summary:
        """Rescore the leads of contacts whose interactions arrived: `{contact: (account,
        last interaction id)}`; each ledger entry names the interaction that caused it."""
        if not self.live:
            return Summary()
        accounts = {a for a, _ in touched.values() if a is not None}
        if len(touched) + len(accounts) < IN_DATABASE_FROM:
            # A few people (one interaction): their leads are read whole at once and, when
            # few enough to be scored here, scored without being read again.
            rows = queries.lead_rows_of_people(self.session, self.company.id, touched, accounts,
                                               IN_DATABASE_FROM)
            if len(rows) < IN_DATABASE_FROM:
                summary = Summary()
                cause_ids = _causes(touched, [(lead.id, lead.contact_id, lead.account_id,
                                               lead.scope) for lead in rows])
                leads = {lead.id: lead for lead in sorted(rows, key=lambda lead: lead.id)
                         if lead.id in cause_ids}
                if leads:
                    self._chunk(leads, "interaction", None, summary, cause_ids)
                return summary
        cause_ids = _causes(touched, queries.leads_of_people(
            self.session, self.company.id, touched, accounts))
        return self.leads(cause_ids, "interaction", cause_ids=cause_ids)

    def _chunk(self, leads: dict[int, t.Lead], cause: str, cause_id: int | None,
               summary: Summary, cause_ids: dict[int, int]) -> None:
        ids = list(leads)
        reset = bool(self.settings["lifecycle.recycle_resets_behavior"])
        facts = self.loader.load(list(leads.values()), self.now, behavior_reset=reset)
        stored = {(s.lead_id, s.model_id): s
                  for s in queries.scores_of(self.session, self.company.id, ids)}
        adjustments: dict[int, dict[int, int]] = {}
        for (lead_id, model_id), points in queries.adjustments_of(
                self.session, self.company.id, ids).items():
            adjustments.setdefault(lead_id, {})[model_id] = points
        for lead_id, lead in leads.items():
            summary.leads += 1
            changed, ready = self._lead(lead, facts[lead_id], stored,
                                        adjustments.get(lead_id, {}), cause,
                                        cause_ids.get(lead_id, cause_id))
            summary.changed += changed
            if ready:
                summary.sales_ready.append(lead_id)
        self.session.flush()

    def _lead(
        self, lead: t.Lead, facts: LeadFacts, stored: dict[tuple[int, int], t.LeadScore],
        adjustments: dict[int, int], cause: str, cause_id: int | None,
    ) -> tuple[int, bool]:
        scores, _ = score_lead(self.live, facts, self._selection(), self.now, self.schema,
                               adjustments)
        changed, reached = 0, False
        for live in self.live:
            current = stored.get((lead.id, live.row.id))
            result = scores.get(live.row.id)
            if result is None:
                if current is not None:
                    remove_score(self.session, current, live.version.version, cause, cause_id)
                    changed += 1
                continue
            changed += store_score(self.session, lead, live, current, result, cause, cause_id)
            reached = reached or result.sales_ready
        newly_ready = reached and not lead.sales_ready
        if newly_ready:
            mark_sales_ready(self.session, lead, self.settings, self.now)
        return changed, newly_ready

    def _selection(self) -> str:
        return str(self.settings["scoring.model_selection"])


def _causes(touched: dict[int, tuple[int | None, int]],
            leads: Iterable[tuple[int, int | None, int | None, str]]) -> dict[int, int]:
    """`{lead: interaction}`: the latest interaction of its account (account leads) or of its
    contact that caused each lead's rescore; `leads` are (id, contact, account, scope)."""
    by_account: dict[int, int] = {}
    for account, interaction in touched.values():
        if account is not None:
            by_account[account] = max(interaction, by_account.get(account, 0))
    cause_ids: dict[int, int] = {}
    for lead_id, contact_id, account_id, scope in leads:
        if scope == "account" and account_id in by_account:
            cause_ids[lead_id] = by_account[account_id]
        elif contact_id in touched:
            cause_ids[lead_id] = touched[contact_id][1]
    return cause_ids


def store_score(
    session: Session, lead: t.Lead, live: LiveModel, current: t.LeadScore | None,
    result: ModelScore, cause: str, cause_id: int | None,
) -> int:
    """Write `result` as the lead's score in the model; a changed score goes to the ledger."""
    old = current.score if current is not None else None
    old_grade = current.grade if current is not None else None
    if current is None:
        current = t.LeadScore(company_id=lead.company_id, lead_id=lead.id, model_id=live.row.id)
        session.add(current)
    current.version_id = live.version.id
    current.score, current.grade = result.score, result.grade
    current.sales_ready, current.next_change_at = result.sales_ready, result.next_change_at
    current.computed_at = result.as_of
    changed = old != result.score
    if changed:  # added before the event, which may flush: both rows go in one flush
        session.add(t.ScoreLedgerEntry(
            company_id=lead.company_id, lead_id=lead.id, model_id=live.row.id,
            version=live.version.version, old_score=old, new_score=result.score,
            delta=result.score - (old or 0), cause=cause, cause_id=cause_id, at=result.as_of,
        ))
    events.score_changed(session, lead.company_id, lead.id, live.row.id, (old, old_grade),
                         (result.score, result.grade), result.as_of)
    return int(changed)


def remove_score(
    session: Session, current: t.LeadScore, version: int, cause: str, cause_id: int | None
) -> None:
    """The model no longer scores the lead: its score goes (the ledger keeps the history)."""
    session.add(t.ScoreLedgerEntry(
        company_id=current.company_id, lead_id=current.lead_id, model_id=current.model_id,
        version=version, old_score=current.score, new_score=None, delta=-current.score,
        cause=cause, cause_id=cause_id, at=utcnow(),
    ))
    events.score_changed(session, current.company_id, current.lead_id, current.model_id,
                         (current.score, current.grade), (None, None))
    session.delete(current)


def mark_sales_ready(session: Session, lead: t.Lead, settings: dict[str, Any],
                     now: datetime) -> None:
    """Flag the lead sales-ready once, emit `lead.sales_ready`, and maybe advance its stage
    (a `promote` by `system` in the lead's stage history)."""
    lead.sales_ready, lead.sales_ready_at = True, now
    payload: dict[str, Any] = {"lead_id": lead.id, "sales_ready_at": now.isoformat()}
    advance = bool(settings["lifecycle.auto_advance_on_sales_ready"]) and lead.stage == "nurture"
    if advance:
        lead.stage = "sales_ready"
        payload["stage"] = {"old": "nurture", "new": "sales_ready"}
    events.record(session, lead.company_id, "lead.sales_ready", payload, lead_id=lead.id, at=now)
    if advance:
        stage_changes.record(session, lead, "promote", "nurture", stage_changes.SYSTEM,
                             AUTO_PROMOTE_REASON, now)
    if settings.get("assignment.on_sales_ready") and lead.owner_id is None:
        from leadflow.services.assignment import assign_leads  # assignment reads scores

        company = session.get(t.Company, lead.company_id)
        assert company is not None
        assign_leads(session, company, [lead.id], "sales_ready")
