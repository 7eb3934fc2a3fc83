"""Exporting leads with a score and grade per model (SPEC §6.1, §6.3), streamed page by page.

Stored scores come from `lead_scores`. With `as_of`, every lead is scored as of that moment by
the same evaluator as the explanation (`leads show --explain --as-of`): the company's live
models, their selection, manual adjustments; `sales_ready` is then what the models alone say
(any model's score at or over its sales-ready score), not the stored flag.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import exports as queries
from leadflow.db import scoring as scoring_queries
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.domain.settings import effective_settings
from leadflow.errors import ValidationFailed
from leadflow.scoring.schema import Schema
from leadflow.services.scoring.catalog import LiveModel, company_schema, live_models, score_lead
from leadflow.services.scoring.facts import FactLoader

FIELDS = ("id", "external_id", "name", "scope", "contact_email", "account_domain", "program",
          "campaign", "stage", "status", "priority", "territory", "owner", "sales_ready",
          "source")
FORMATS = ("csv", "json", "parquet")
PAGE = 1000
Lead = dict[str, Any]


def parse_as_of(text: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it says otherwise)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"'{text}' is not an ISO 8601 date or time (e.g. 2025-03-01 or"
                               " 2025-03-01T12:00:00Z)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass
class LeadExport:
    """The leads of one company, a page at a time, each page in a short transaction."""

    database: Database
    company_id: int
    as_of: datetime | None = None
    page_size: int = PAGE
    models: list[LiveModel] = field(default_factory=list)
    done: int = 0  # leads exported so far

    def __post_init__(self) -> None:
        with self.database.transaction() as session:
            company = session.get(t.Company, self.company_id)
            assert company is not None
            self.settings = effective_settings(company.settings)
            self.schema: Schema = company_schema(session, self.company_id)
            self.models = live_models(session, self.company_id, self.schema)

    @property
    def model_keys(self) -> list[str]:
        return sorted(m.row.key for m in self.models)

    def pages(self) -> Iterator[list[Lead]]:
        """Lists of leads in id order, with their `scores`."""
        after = 0
        while True:
            with self.database.transaction() as session:
                leads = queries.lead_page(session, self.company_id, after, self.page_size)
                if not leads:
                    return
                if self.as_of is None:
                    self._stored(session, leads)
                else:
                    self._computed(session, leads, self.as_of)
            self.done += len(leads)
            yield leads
            after = leads[-1]["id"]

    def _stored(self, session: Session, leads: list[Lead]) -> None:
        by_id = {lead["id"]: lead for lead in leads}
        for lead in leads:
            lead["scores"] = {}
        for lead_id, scores in scoring_queries.scores_by_lead(
                session, self.company_id, list(by_id)).items():
            by_id[lead_id]["scores"] = scores
        for lead in leads:
            lead["scores"] = dict(sorted(lead["scores"].items()))

    def _computed(self, session: Session, leads: list[Lead], as_of: datetime) -> None:
        ids = [lead["id"] for lead in leads]
        rows = scoring_queries.rows_by_id(session, self.company_id, t.Lead, ids)
        reset = bool(self.settings["lifecycle.recycle_resets_behavior"])
        facts = FactLoader(session, self.company_id).load(list(rows.values()), as_of,
                                                          behavior_reset=reset)
        adjustments = scoring_queries.adjustments_of(session, self.company_id, ids)
        selection = str(self.settings["scoring.model_selection"])
        for lead in leads:
            own = {model_id: points for (lead_id, model_id), points in adjustments.items()
                   if lead_id == lead["id"]}
            results, _ = score_lead(self.models, facts[lead["id"]], selection, as_of,
                                    self.schema, own)
            scores, ready = {}, False
            for live in sorted(self.models, key=lambda m: m.row.key):
                result = results.get(live.row.id)
                if result is None:
                    continue
                scores[live.row.key] = {"score": result.score, "grade": result.grade,
                                        "version": live.version.version}
                ready = ready or result.sales_ready
            lead["scores"], lead["sales_ready"] = scores, ready


def json_text(export: LeadExport) -> Iterator[str]:
    """The export as one JSON array, a page of text at a time."""
    first = True
    for page in export.pages():
        for lead in page:
            yield ("[\n" if first else ",\n") + json.dumps(lead, ensure_ascii=False)
            first = False
    yield "[]\n" if first else "\n]\n"


def csv_columns(export: LeadExport) -> list[str]:
    """The lead fields, then `score.<model>` and `grade.<model>` for every live model."""
    return [*FIELDS, *(f"{kind}.{key}" for key in export.model_keys
                       for kind in ("score", "grade"))]


def flat(lead: Lead, keys: list[str]) -> dict[str, Any]:
    """A lead as one flat row: its fields, then a score and grade column per model."""
    row = {name: lead[name] for name in FIELDS}
    for key in keys:
        score = lead["scores"].get(key) or {}
        row[f"score.{key}"], row[f"grade.{key}"] = score.get("score"), score.get("grade")
    return row


def csv_text(export: LeadExport) -> Iterator[str]:
    """The export as CSV, a page of text at a time."""
    buffer = io.StringIO()
    columns = csv_columns(export)
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for page in export.pages():
        for lead in page:
            row = flat(lead, export.model_keys)
            writer.writerow([_cell(row[c]) for c in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def text(export: LeadExport, format: str) -> Iterator[str]:
    """The export as CSV or JSON text, a page at a time."""
    if format not in ("csv", "json"):
        raise ValidationFailed(f"format must be csv or json here (got '{format}')")
    return csv_text(export) if format == "csv" else json_text(export)


def write_parquet(export: LeadExport, path: Path,
                  progress: Callable[[int], None] | None = None) -> int:
    """Write the export as a Parquet file (a row group per page); how many leads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"id": pa.int64(), "sales_ready": pa.bool_()}
    keys = export.model_keys
    fields = [pa.field(name, types.get(name, pa.string())) for name in FIELDS]
    for key in keys:
        fields += [pa.field(f"score.{key}", pa.int64()), pa.field(f"grade.{key}", pa.string())]
    schema = pa.schema(fields)
    done = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for page in export.pages():
            rows = [flat(lead, keys) for lead in page]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            done += len(rows)
            if progress is not None:
                progress(done)
    return done
