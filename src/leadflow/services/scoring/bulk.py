"""Rescoring every lead of a company inside the database: each live model is compiled to one
set-based SQL query (scoring/sql.py) whose rows are written by a few statements
(db/bulk_scores.py). Used by publishing and `leadflow rescore`; the per-lead Rescorer
(rescore.py) handles the few leads an interaction or a passing window touches.

Both give the same stored scores, ledger and sales-ready flags (tests/integration/
test_bulk_rescore.py); the compiled query agrees with the evaluator lead by lead
(tests/parity/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from leadflow.db import bulk_scores as db
from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.domain.settings import effective_settings
from leadflow.scoring.schema import Schema
from leadflow.scoring.sql import compile_model, scored_leads
from leadflow.services import events, stage_changes
from leadflow.services.scoring.catalog import LiveModel, company_schema, live_models
from leadflow.services.scoring.rescore import AUTO_PROMOTE_REASON, Summary, mark_sales_ready

READY_CHUNK = 1000
# Webhook events that lead-by-lead flagging produces and the set-based path does not.
FLAG_EVENTS = ("lead.sales_ready", "lead.stage_changed", "lead.updated")


@dataclass
class BulkRescorer:
    """Brings every stored score of a company up to date as of `now`, model by model."""

    session: Session
    company: t.Company
    now: datetime = field(default_factory=utcnow)
    # The company's schema and live models, when the caller has just read them (Rescorer).
    catalog: tuple[Schema, list[LiveModel]] | None = None

    def __post_init__(self) -> None:
        if self.catalog is None:
            schema = company_schema(self.session, self.company.id)
            self.catalog = (schema, live_models(self.session, self.company.id, schema))

    def run(self, cause: str, progress: Callable[[int, int], None] | None = None) -> Summary:
        """Rescore every lead in every live model; `progress(models done, models)`."""
        summary = self._rescore(cause, None, progress)
        summary.leads = queries.count_leads(self.session, self.company.id)
        return summary

    def leads(self, causes: dict[int, int | None], cause: str) -> Summary:
        """Rescore these leads; each maps to the id of what caused it (for the ledger)."""
        summary = self._rescore(cause, causes, None)
        summary.leads = len(causes)
        return summary

    def _rescore(self, cause: str, causes: dict[int, int | None] | None,
                 progress: Callable[[int, int], None] | None) -> Summary:
        assert self.catalog is not None
        schema, live = self.catalog
        settings = effective_settings(self.company.settings)
        summary = Summary()
        self.session.flush()
        db.tune_for_bulk(self.session)
        touched = db.note_touched(self.session, causes) if causes is not None else None
        for done, model in enumerate(live, start=1):
            if touched is None:
                db.analyze_scores(self.session)
            lead_filter = self._lead_filter(model, touched, settings)
            reset = bool(settings["lifecycle.recycle_resets_behavior"]) and db.any_recycled(
                self.session, self.company.id, lead_filter)
            sources = db.sources(self.company.id, model.row.id, self.now, reset, lead_filter,
                                 self.session.get_bind().dialect.name)
            staged = db.stage(self.session,
                              compile_model(model.model, sources, schema, next_change=True,
                                            every_lead=touched is None),
                              model_id=model.row.id, version_id=model.version.id,
                              every_lead=touched is None)
            scored = scored_leads(model.model, sources, schema) if touched is None else None
            self._announce(staged, model, lead_filter, touched, scored)
            summary.changed += db.write(
                self.session, staged, company_id=self.company.id, model_id=model.row.id,
                version_id=model.version.id, version=model.version.version, cause=cause,
                now=self.now, lead_filter=lead_filter, causes=touched, scored=scored)
            ready = self._flag(staged, settings, summary)
            db.unstage(self.session, staged)
            self.session.expire_all()  # stored scores and flags changed under the ORM's feet
            self._flag_each(ready, settings, summary)
            if progress is not None:
                progress(done, len(live))
        if touched is not None:
            db.unstage(self.session, touched)
        return summary

    def _lead_filter(self, model: LiveModel, touched: Table | None,
                     settings: dict[str, object]) -> ColumnElement[bool] | None:
        """The leads the model's query scores: the touched ones (or all), and under
        `scoring.model_selection: context` those of the model's targets."""
        parts: list[ColumnElement[bool]] = []
        if touched is not None:
            parts.append(t.Lead.__table__.c.id.in_(select(touched.c.lead_id)))
        if settings["scoring.model_selection"] != "all":
            parts.append(db.context_filter(self.session, self.company.id,
                                           [(x.kind, x.key) for x in model.model.applies_to]))
        return and_(*parts) if parts else None

    def _needs_each_lead(self, settings: dict[str, object]) -> bool:
        return bool(settings.get("assignment.on_sales_ready")) or any(
            events.wanted(self.session, self.company.id, kind) for kind in FLAG_EVENTS)

    def _announce(self, staged: Table, model: LiveModel,
                  lead_filter: ColumnElement[bool] | None, touched: Table | None,
                  scored: Select[Any] | None) -> None:
        """`lead.score_changed` for every score about to change, when a webhook wants it."""
        if not events.wanted(self.session, self.company.id, "lead.score_changed"):
            return
        for lead_id, old_score, old_grade, new_score, new_grade in db.score_changes(
                self.session, staged, company_id=self.company.id, model_id=model.row.id,
                lead_filter=lead_filter, causes=touched, scored=scored):
            events.score_changed(self.session, self.company.id, lead_id, model.row.id,
                                 (old_score, old_grade), (new_score, new_grade), self.now)

    def _flag(self, staged: Table, settings: dict[str, object], summary: Summary) -> list[int]:
        """Flag the staged leads that reached a threshold. With nobody listening for the
        changes (webhooks) and no assignment on sales-ready, a few set-based statements do
        what `mark_sales_ready` does lead by lead; otherwise the leads to flag one by one
        (`_flag_each`, after the staged rows are gone)."""
        if self._needs_each_lead(settings):
            return db.newly_sales_ready(self.session, staged, self.company.id)
        summary.sales_ready += db.flag_sales_ready(
            self.session, staged, self.company.id, self.now,
            bool(settings["lifecycle.auto_advance_on_sales_ready"]), AUTO_PROMOTE_REASON,
            stage_changes.SYSTEM)
        return []

    def _flag_each(self, lead_ids: list[int], settings: dict[str, object],
                   summary: Summary) -> None:
        """`mark_sales_ready` for each of these leads, so that webhooks and assignment see
        every change."""
        for start in range(0, len(lead_ids), READY_CHUNK):
            chunk = lead_ids[start:start + READY_CHUNK]
            for lead in queries.rows_by_id(self.session, self.company.id, t.Lead,
                                           chunk).values():
                if not lead.sales_ready:
                    mark_sales_ready(self.session, lead, dict(settings), self.now)
                    summary.sales_ready.append(lead.id)
            self.session.flush()
