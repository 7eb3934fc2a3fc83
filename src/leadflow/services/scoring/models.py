"""Scoring models' life cycle: draft → live (immutable versions) → stopped (SPEC §2.1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.errors import Conflict, FieldError, NotFound, ValidationFailed
from leadflow.scoring.errors import ModelInvalid, TextFormError
from leadflow.scoring.model import ScoringModel, model_from_dict, model_to_dict
from leadflow.scoring.selection import assignment_conflicts
from leadflow.scoring.text import parse_text, render_text
from leadflow.services.scoring.catalog import company_schema, live_models
from leadflow.services.scoring.rescore import remove_score


def parse(session: Session, company_id: int, source: dict[str, Any] | str) -> ScoringModel:
    """A validated model from its dict (YAML/JSON) or text form; ValidationFailed otherwise."""
    schema = company_schema(session, company_id)
    try:
        if isinstance(source, str):
            return parse_text(source, schema)
        data = {k: v for k, v in source.items() if k != "status"}
        return model_from_dict(data, schema)
    except ModelInvalid as error:
        raise ValidationFailed("The scoring model is not valid", errors=[
            FieldError(e.path, e.message + (f" (hint: {e.hint})" if e.hint else ""))
            for e in error.errors]) from error
    except TextFormError as error:
        where = f"line {error.line}, column {error.column}"
        hint = f" (hint: {error.hint})" if error.hint else ""
        raise ValidationFailed("The scoring model text is not valid", errors=[
            FieldError(where, f"{error.message}{hint}")]) from error


def get(session: Session, company_id: int, key: str) -> t.ScoringModelRow:
    row = queries.model_by_key(session, company_id, key)
    if row is None:
        raise NotFound(f"no scoring model '{key}'")
    return row


def definition(session: Session, row: t.ScoringModelRow, *, live: bool = False) -> dict[str, Any]:
    """The draft being edited (or, with `live`, the live version) as a normalised dict."""
    if not live and row.draft is not None:
        return row.draft
    if row.live_version_id is None:
        raise NotFound(f"scoring model '{row.key}' has no published version")
    version = queries.version(session, row.company_id, row.live_version_id)
    assert version is not None
    return version.definition


def save(session: Session, company_id: int, model: ScoringModel) -> tuple[t.ScoringModelRow, bool]:
    """Create the model or put `model` in its draft; returns (row, changed)."""
    normalised = model_to_dict(model)
    row = queries.model_by_key(session, company_id, model.key)
    if row is None:
        row = t.ScoringModelRow(company_id=company_id, key=model.key, name=model.name,
                                status="draft", draft=normalised)
        session.add(row)
        session.flush()
        return row, True
    current = row.draft
    if current is None and row.live_version_id is not None:
        current = definition(session, row, live=True)
    if current == normalised:
        return row, False
    row.draft, row.name = normalised, model.name
    return row, True


def publish(session: Session, company_id: int, key: str, actor: str | None = None
            ) -> t.ScoringModelVersion | None:
    """Make the draft the live version; None when the live version already equals it."""
    row = get(session, company_id, key)
    if row.draft is None:
        if row.status == "live":
            return None
        if row.live_version_id is None:
            raise ValidationFailed(f"scoring model '{key}' has nothing to publish")
        row.draft = definition(session, row, live=True)
    schema = company_schema(session, company_id)
    model = model_from_dict(row.draft, schema)
    others = [m.model for m in live_models(session, company_id, schema) if m.row.id != row.id]
    conflicts = assignment_conflicts([*others, model])
    if conflicts:
        raise Conflict("; ".join(e.message for e in conflicts))
    number = queries.latest_version_number(session, row.id) + 1
    version = t.ScoringModelVersion(company_id=company_id, model_id=row.id, version=number,
                                    definition=row.draft, published_at=utcnow(),
                                    published_by=actor)
    session.add(version)
    session.flush()
    row.live_version_id, row.status, row.draft, row.name = version.id, "live", None, model.name
    return version


def stop(session: Session, company_id: int, key: str) -> int:
    """Stop scoring with the model: its scores leave the leads (the ledger keeps them)."""
    row = get(session, company_id, key)
    if row.status != "live":
        raise Conflict(f"scoring model '{key}' is not live (it is {row.status})")
    version = queries.version(session, company_id, row.live_version_id or -1)
    number = version.version if version is not None else 0
    scores = queries.scores_of_model(session, company_id, row.id)
    for score in scores:
        remove_score(session, score, number, "stop", None)
    row.status = "stopped"
    session.flush()
    return len(scores)


def describe(session: Session, row: t.ScoringModelRow) -> dict[str, Any]:
    """A model as JSON-ready data: status, versions, and its current definition."""
    versions = queries.versions_of(session, row.company_id, row.id)
    live = next((v for v in versions if v.id == row.live_version_id), None)
    body = row.draft if row.draft is not None else (live.definition if live else {})
    return {
        "key": row.key, "name": row.name, "status": row.status,
        "version": live.version if live else None,
        "has_unpublished_changes": row.draft is not None and live is not None,
        "versions": [{"version": v.version, "published_at": v.published_at.isoformat(),
                      "published_by": v.published_by} for v in versions],
        "definition": body,
    }


def text_of(session: Session, row: t.ScoringModelRow) -> str:
    """The model's text form."""
    schema = company_schema(session, row.company_id)
    return render_text(model_from_dict(definition(session, row), schema))
