"""A company's scoring vocabulary: the schema, and its models in their live versions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import scoring_facts
from leadflow.db import tables as t
from leadflow.scoring.evaluate import LeadFacts, ModelScore, evaluate
from leadflow.scoring.model import ScoringModel, model_from_dict
from leadflow.scoring.schema import Schema
from leadflow.scoring.selection import select_models


def company_schema(session: Session, company_id: int) -> Schema:
    """Built-in entities plus the company's custom fields and interaction types."""
    fields, types = scoring_facts.schema_rows(session, company_id)
    custom = [{"key": f["key"], "entity": f["entity"], "type": f["type"],
               "choices": f["choices"] or []} for f in fields]
    declared = [{"key": row["key"], "name": row["name"], "attributes": row["attributes"]}
                for row in types]
    return _schema(json.dumps(
        [custom, [{k: v for k, v in d.items() if v is not None} for d in declared]]))


# Building a schema and parsing a model are pure functions of what the database holds, so
# they are remembered by that content itself (the declarations and the model definition as
# JSON, read on every call): a change made anywhere, by any process, is a different key. Only
# the reading is repeated, never a stale result served.
@lru_cache(maxsize=256)
def _schema(declarations: str) -> Schema:
    custom, types = json.loads(declarations)
    return Schema.build(custom, types)


@lru_cache(maxsize=256)
def _parsed(definition: str, schema: Schema) -> ScoringModel:
    return model_from_dict(json.loads(definition), schema)


@dataclass(frozen=True)
class LiveModel:
    """A live model: its row, the version that scores, and the parsed model."""

    row: t.ScoringModelRow
    version: t.ScoringModelVersion
    model: ScoringModel


def live_models(session: Session, company_id: int, schema: Schema) -> list[LiveModel]:
    """Every live model of the company, parsed against its schema."""
    return [LiveModel(row, version, _parsed(json.dumps(version.definition), schema))
            for row, version in queries.live_versions(session, company_id)]


def score_lead(
    live: Sequence[LiveModel], facts: LeadFacts, model_selection: str, as_of: datetime,
    schema: Schema, adjustments: Mapping[int, int],
) -> tuple[dict[int, ModelScore], str | None]:
    """The lead's score in each live model that applies (by model row id) as of `as_of`,
    with its manual adjustments; and, when no model applies, why."""
    choice = select_models([m.model for m in live], facts, model_selection, as_of,
                           schema=schema)
    chosen = {m.key for m in choice.models}
    scores = {
        item.row.id: evaluate(item.model,
                              replace(facts, adjustment=adjustments.get(item.row.id, 0)),
                              as_of, schema=schema)
        for item in live if item.model.key in chosen
    }
    return scores, choice.reason
