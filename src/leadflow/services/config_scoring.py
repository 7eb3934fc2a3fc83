"""The `scoring_models` section of a configuration file (SPEC §6.5, §2.1).

Each item is a model in its dict shape (docs/scoring-language.md) or `{text: <text form>}`, with
an optional `status`: `live` saves and publishes it, `stopped` saves it and stops it, `draft` (or
none) only saves the draft. Models are checked against the company's schema as the sections before
this one left it (custom fields and interaction types). Stops run before publishes, so a file may
hand a campaign from one model to another; the leads are rescored once, inline, at the end.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.errors import LeadflowError
from leadflow.scoring.errors import ModelInvalid, TextFormError
from leadflow.scoring.model import ScoringModel, model_from_dict, model_to_dict
from leadflow.scoring.schema import Schema
from leadflow.scoring.text import parse_text
from leadflow.services import jobs
from leadflow.services.config_files import inline_leaves, line_of
from leadflow.services.config_plan import Action, Applying, Where
from leadflow.services.scoring import models
from leadflow.services.scoring.catalog import company_schema

SECTION = "scoring_models"
LABEL = "scoring model"
STATUSES = ("draft", "live", "stopped")
TEXT_COMPANIONS = {"text", "key", "status"}


@dataclass
class _Item:
    """One model of the file once saved: where it is, its row and what happened to it."""

    where: Where
    row: t.ScoringModelRow
    status: str | None
    created: bool
    fields: list[str]
    steps: list[str] = field(default_factory=list)


def apply_models(state: Applying, content: Any, where: Where) -> None:
    """Save every model, then stop and publish as their `status` says, then rescore."""
    if content is None:
        return
    if not isinstance(content, list):
        state.problem(where, None, "must be a list of scoring models")
        return
    schema = company_schema(state.session, state.company.id)
    seen: dict[str, int] = {}
    items = []
    for index, raw in enumerate(content):
        item = _save(state, Where(SECTION, index, raw, line_hint=where.line_hint), raw, schema,
                     seen)
        if item is not None:
            items.append(item)
    for item in items:
        if item.status == "stopped":
            _stop(state, item)
    published = [item for item in items if item.status == "live" and _publish(state, item)]
    if published and not state.problems and not state.plan.dry_run:
        _rescore(state, [item.row.key for item in published])
    for item in items:
        action: Action = "create" if item.created else (
            "update" if item.fields or item.steps else "unchanged")
        state.record(SECTION, LABEL, item.row.key, action, item.fields, item.steps)


def dump_models(session: Session, company: t.Company) -> list[dict[str, Any]]:
    """Every model: its draft if it has one, else its live version, with its status."""
    schema = company_schema(session, company.id)
    out = []
    for row in queries.models(session, company.id):
        definition = dict(models.definition(session, row))
        # One that no longer fits the schema (a custom field was deleted) is dumped as stored.
        with suppress(ModelInvalid):
            definition = model_to_dict(model_from_dict(definition, schema))
        key, name = definition.pop("key"), definition.pop("name")
        body = {part: inline_leaves(value) for part, value in definition.items()}
        out.append({"key": key, "name": name, "status": row.status, **body})
    return out


def _save(
    state: Applying, where: Where, raw: Any, schema: Schema, seen: dict[str, int]
) -> _Item | None:
    if not isinstance(raw, dict):
        state.problem(where, None, "must be a mapping: a model (key, name, rules, …) or"
                      " `text:` with the model's text form")
        return None
    given = raw.get("key") if isinstance(raw.get("key"), str) else None
    where.key = given
    unique = given is None or _first(state, where, given, seen)
    status = raw.get("status")
    if status is not None and status not in STATUSES:
        state.problem(where, "status", f"must be one of: {', '.join(STATUSES)} (got {status!r})")
    model = _parse(state, where, raw, schema)
    if model is None or not unique:
        return None
    where.key = model.key
    if given is None and not _first(state, where, model.key, seen):
        return None
    if status is not None and status not in STATUSES:
        return None
    return _write(state, where, model, status)


def _first(state: Applying, where: Where, key: str, seen: dict[str, int]) -> bool:
    """Whether this is the first item of the section with `key` (else it is reported)."""
    if key in seen:
        state.problem(where, None, f"duplicate of {SECTION}[{seen[key]}] (same key)")
        return False
    seen[key] = where.index or 0
    return True


def _parse(state: Applying, where: Where, raw: dict[Any, Any], schema: Schema
           ) -> ScoringModel | None:
    """The validated model of one item, or None with its problems reported."""
    if "text" not in raw:
        data = {k: v for k, v in raw.items() if k != "status"}
        try:
            return model_from_dict(data, schema)
        except ModelInvalid as error:
            for item in error.errors:
                hint = f" (hint: {item.hint})" if item.hint else ""
                state.problem(where, item.path or None, item.message + hint)
            return None
    ok = True
    for name in raw:
        if name not in TEXT_COMPANIONS:
            ok = False
            state.problem(where, str(name), "a model given as `text` has only `key` and `status`"
                          " beside it; put everything else in the text")
    text = raw["text"]
    if not isinstance(text, str):
        state.problem(where, "text", "must be the model's text form (`MODEL \"Name\" …`)")
        return None
    if not ok:
        return None
    model = _parse_text(state, where, raw, text, schema)
    if model is not None and "key" in raw and raw["key"] != model.key:
        state.problem(where, "key", f"the text names the model '{model.key}' (KEY clause, or the"
                      f" slug of its name), not {raw['key']!r}")
        return None
    return model


def _parse_text(state: Applying, where: Where, raw: dict[Any, Any], text: str, schema: Schema
                ) -> ScoringModel | None:
    try:
        return parse_text(text, schema)
    except TextFormError as error:
        hint = f" (hint: {error.hint})" if error.hint else ""
        state.problem(where, "text", f"line {error.line}, column {error.column} of the text:"
                      f" {error.message}{hint}", _text_line(raw, text, error.line))
    except ModelInvalid as error:
        for item in error.errors:
            hint = f" (hint: {item.hint})" if item.hint else ""
            at = f"line {item.line}, column {item.column} of the text: " if item.line else ""
            path = f"{item.path}: " if item.path else ""
            state.problem(where, "text", f"{at}{path}{item.message}{hint}",
                          _text_line(raw, text, item.line))
    return None


def _text_line(raw: dict[Any, Any], text: str, line: int | None) -> int | None:
    """The line in the file of a line of the text (a `text: |` block starts below its key)."""
    start = line_of(raw, "text")
    if start is None or line is None:
        return start
    return start + line if "\n" in text else start


def _write(state: Applying, where: Where, model: ScoringModel, status: str | None) -> _Item:
    """Save the model's draft (unless it already says the same) and note what changed."""
    session, company_id = state.session, state.company.id
    existing = queries.model_by_key(session, company_id, model.key)
    before = models.definition(session, existing) if existing is not None else None
    row, _ = models.save(session, company_id, model)
    after = model_to_dict(model)
    if row.draft is not None and row.live_version_id is not None and (
            row.draft == models.definition(session, row, live=True)):
        row.draft = None  # the file restates the live version: nothing to publish
    changed = list(after) if before is None else [
        name for name in [*after, *(k for k in before if k not in after)]
        if before.get(name) != after.get(name)]
    return _Item(where, row, status, existing is None, changed)


def _stop(state: Applying, item: _Item) -> None:
    if item.row.status == "live":
        try:
            models.stop(state.session, state.company.id, item.row.key)
        except LeadflowError as error:
            state.error(item.where, error)
            return
        item.steps.append("stop")
    elif item.row.status == "draft":
        # Never published: no scores to remove, only the label changes (so dumps round-trip).
        item.row.status = "stopped"
        if not item.created:
            item.fields.append("status")


def _publish(state: Applying, item: _Item) -> bool:
    try:
        version = models.publish(state.session, state.company.id, item.row.key, actor="config")
    except LeadflowError as error:
        state.error(item.where, error)
        return False
    if version is None:
        return False
    item.steps.append("publish")
    return True


def _rescore(state: Applying, keys: list[str]) -> None:
    """Rescore every lead now, in this transaction, as a finished job."""
    job = jobs.enqueue(state.session, state.company.id, "rescore",
                       {"cause": "publish", "models": keys})
    jobs.run(state.session, job)
    result = job.result or {}
    leads = int(result.get("leads", 0))
    state.plan.notes.append(f"published {', '.join(keys)}; rescored {leads}"
                            f" lead{'' if leads == 1 else 's'} ({result.get('changed', 0)}"
                            " changed)")
