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

from sqlalchemy.orm import Session

from leadflow.db import bulk_scores as db
from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.domain.settings import effective_settings
from leadflow.scoring.sql import compile_model
from leadflow.services.scoring.catalog import company_schema, live_models
from leadflow.services.scoring.rescore import Summary, mark_sales_ready

READY_CHUNK = 1000


@dataclass
class BulkRescorer:
    """Brings every stored score of a company up to date as of `now`, model by model."""

    session: Session
    company: t.Company
    now: datetime = field(default_factory=utcnow)

    def run(self, cause: str, progress: Callable[[int, int], None] | None = None) -> Summary:
        """Rescore every lead in every live model; `progress(models done, models)`."""
        schema = company_schema(self.session, self.company.id)
        live = live_models(self.session, self.company.id, schema)
        settings = effective_settings(self.company.settings)
        summary = Summary(leads=queries.count_leads(self.session, self.company.id))
        self.session.flush()
        db.tune_for_bulk(self.session)
        for done, model in enumerate(live, start=1):
            lead_filter = (None if settings["scoring.model_selection"] == "all" else
                           db.context_filter(self.session, self.company.id,
                                             [(x.kind, x.key) for x in model.model.applies_to]))
            sources = db.sources(self.company.id, model.row.id, self.now,
                                 bool(settings["lifecycle.recycle_resets_behavior"]), lead_filter)
            staged = db.stage(self.session,
                              compile_model(model.model, sources, schema, next_change=True))
            summary.changed += db.write(
                self.session, staged, company_id=self.company.id, model_id=model.row.id,
                version_id=model.version.id, version=model.version.version, cause=cause,
                now=self.now, lead_filter=lead_filter)
            ready = db.newly_sales_ready(self.session, staged, self.company.id)
            db.unstage(self.session, staged)
            self.session.expire_all()  # stored scores changed under the ORM's feet
            self._flag(ready, settings, summary)
            if progress is not None:
                progress(done, len(live))
        return summary

    def _flag(self, lead_ids: list[int], settings: dict[str, object], summary: Summary) -> None:
        for start in range(0, len(lead_ids), READY_CHUNK):
            chunk = lead_ids[start:start + READY_CHUNK]
            for lead in queries.rows_by_id(self.session, self.company.id, t.Lead,
                                           chunk).values():
                if not lead.sales_ready:
                    mark_sales_ready(self.session, lead, dict(settings), self.now)
                    summary.sales_ready.append(lead.id)
            self.session.flush()

