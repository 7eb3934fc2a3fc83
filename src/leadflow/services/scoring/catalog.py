"""A company's scoring vocabulary: the schema, and its models in their live versions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadflow.db import ingestion as ingestion_queries
from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.scoring.model import ScoringModel, model_from_dict
from leadflow.scoring.schema import Schema


def company_schema(session: Session, company_id: int) -> Schema:
    """Built-in entities plus the company's custom fields and interaction types."""
    fields = session.scalars(Repository(session, company_id, t.CustomField).query())
    custom = [{"key": f.key, "entity": f.entity, "type": f.type, "choices": f.choices or []}
              for f in fields]
    types = [{"key": row.key, "name": row.name, "attributes": row.attributes}
             for row in ingestion_queries.interaction_types(session, company_id)]
    return Schema.build(custom, [{k: v for k, v in d.items() if v is not None} for d in types])


@dataclass(frozen=True)
class LiveModel:
    """A live model: its row, the version that scores, and the parsed model."""

    row: t.ScoringModelRow
    version: t.ScoringModelVersion
    model: ScoringModel


def live_models(session: Session, company_id: int, schema: Schema) -> list[LiveModel]:
    """Every live model of the company, parsed against its schema."""
    return [LiveModel(row, version, model_from_dict(version.definition, schema))
            for row, version in queries.live_versions(session, company_id)]
