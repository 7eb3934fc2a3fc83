"""Create, read, update, delete and list any company record (see resources.py)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.repository import INT_LIMIT, PageRequest, Repository, python_type
from leadflow.domain.naming import normalise_domain, normalise_email
from leadflow.errors import Conflict, NotFound, Problems, ValidationFailed
from leadflow.schemas import Input
from leadflow.services import custom_fields
from leadflow.services.resources import Resource

Hook = Callable[[Session, int, dict[str, Any], Any, Problems], None]
HOOKS: dict[str, Hook] = {}
RESERVED_PARAMS = {"limit", "cursor", "q", "sort"}
MAX_LIMIT = 500


AfterSave = Callable[[Session, int, Any], None]
AFTER_SAVE: dict[str, list[AfterSave]] = {}


def after_save(path: str) -> Callable[[AfterSave], AfterSave]:
    """Register work to do once a record of `path` was created or changed (e.g. rescoring)."""

    def register(function: AfterSave) -> AfterSave:
        AFTER_SAVE.setdefault(path, []).append(function)
        return function

    return register


def _saved(session: Session, company_id: int, resource: Resource, row: Any) -> None:
    for function in AFTER_SAVE.get(resource.path, []):
        function(session, company_id, row)


BeforeDelete = Callable[[Session, int, Any], None]
BEFORE_DELETE: dict[str, BeforeDelete] = {}


def before_delete(path: str) -> Callable[[BeforeDelete], BeforeDelete]:
    """Register a check run before a record of `path` is deleted (it raises to refuse)."""

    def register(function: BeforeDelete) -> BeforeDelete:
        BEFORE_DELETE[path] = function
        return function

    return register


def hook(path: str) -> Callable[[Hook], Hook]:
    """Register the record-type-specific checks run before a record of `path` is saved."""

    def register(function: Hook) -> Hook:
        HOOKS[path] = function
        return function

    return register


def get(session: Session, company_id: int, resource: Resource, ident: str | int) -> Any:
    """The record named by id or by one of its natural keys; NotFound otherwise."""
    repo = Repository(session, company_id, resource.table)
    text = str(ident).strip()
    if "\x00" in text:  # no key holds a NUL, and PostgreSQL refuses to compare with one
        raise NotFound(f"no {resource.label} '{text!r}'")
    row = repo.get(int(text)) if text.isdigit() else None
    for column in resource.lookup:
        if row is not None:
            break
        row = repo.find(column, _normalise(column, text))
    if row is None:
        raise NotFound(f"no {resource.label} '{text}'")
    return row


def create(
    session: Session, company_id: int, resource: Resource, data: Input,
    *, defaults: Mapping[str, Any] | None = None,
) -> Any:
    """Validate `data` fully, then insert one record."""
    values = {**(defaults or {}), **data.model_dump()}
    values = _prepare(session, company_id, resource, values, None, set(type(data).model_fields))
    row = resource.table(**values)
    Repository(session, company_id, resource.table).add(row)
    session.info.setdefault(_CREATED, set()).add((resource.path, row.id))  # type: ignore[attr-defined]
    _saved(session, company_id, resource, row)
    return row


_CREATED = "leadflow.records.created"


def created_now(session: Session, resource: Resource, row: Any) -> bool:
    """Whether `row` was created (not changed) by `create` in this session's transaction, so
    after-save work can tell a creation from a later save."""
    return (resource.path, row.id) in session.info.get(_CREATED, set())


def update(session: Session, company_id: int, resource: Resource, row: Any, data: Input) -> Any:
    """Apply the fields present in `data` to `row`."""
    given = data.model_fields_set
    values = _prepare(session, company_id, resource, data.model_dump(include=given), row, given)
    for name, value in values.items():
        setattr(row, name, value)
    Repository(session, company_id, resource.table).flush(f"could not save {resource.label}")
    _saved(session, company_id, resource, row)
    return row


def delete(session: Session, company_id: int, resource: Resource, row: Any) -> None:
    """Delete `row`; Conflict if other records still refer to it."""
    check = BEFORE_DELETE.get(resource.path)
    if check is not None:
        check(session, company_id, row)
    Repository(session, company_id, resource.table).remove(row, resource.describe(row))


def _prepare(
    session: Session, company_id: int, resource: Resource, values: dict[str, Any],
    row: Any, given: set[str],
) -> dict[str, Any]:
    problems = Problems(f"Invalid {resource.label}")
    resolve_references(session, company_id, resource, values, given, problems)
    if resource.custom_entity and "custom" in values:
        current = (row.custom if row is not None else None) or {}
        values["custom"] = custom_fields.merge(
            session, company_id, resource.custom_entity, current, values["custom"] or {}, problems
        )
    extra = HOOKS.get(resource.path)
    if extra is not None:
        extra(session, company_id, values, row, problems)
    problems.raise_if_any()
    _check_unique(session, company_id, resource, values, row)
    return values


def resolve_references(
    session: Session, company_id: int, resource: Resource, values: dict[str, Any],
    given: set[str], problems: Problems,
) -> None:
    for ref in resource.references:
        natural = values.pop(ref.name, None)
        if ref.name not in given and ref.column not in given:
            values.pop(ref.column, None)
            continue
        repo = Repository(session, company_id, ref.target)
        row_id = values.get(ref.column)
        if row_id is not None and repo.get(row_id) is None:
            problems.add(ref.column, f"no {ref.label} with id {row_id}")
            continue
        if natural is not None:
            target = repo.find(ref.key, natural)
            if target is None:
                problems.add(ref.name, f"no {ref.label} '{natural}'")
                continue
            if row_id is not None and row_id != target.id:  # type: ignore[attr-defined]
                problems.add(ref.name, f"names a different {ref.label} than {ref.column}")
                continue
            row_id = target.id  # type: ignore[attr-defined]
        values[ref.column] = row_id


def _check_unique(
    session: Session, company_id: int, resource: Resource, values: dict[str, Any], row: Any
) -> None:
    repo = Repository(session, company_id, resource.table)
    for column in resource.unique:
        value = values.get(column)
        if value is None:
            continue
        existing = repo.find(column, value)
        if existing is not None and existing is not row:
            raise Conflict(f"a {resource.label} with {column} '{value}' already exists")


def list_page(
    session: Session, company_id: int, resource: Resource, params: Mapping[str, Sequence[str]],
) -> tuple[list[Any], str | None]:
    """One page of records filtered, searched and sorted as the query parameters say."""
    request = PageRequest(search_columns=resource.search)
    problems = Problems("Invalid list parameters")
    for name, raw_values in params.items():
        if any("\x00" in v for v in raw_values):  # PostgreSQL refuses to compare with a NUL
            problems.add(name, "must not contain NUL (\\u0000) characters")
    problems.raise_if_any()
    columns = filterable_columns(resource)
    _apply_filters(session, company_id, resource, params, request, problems)
    _apply_paging(params, request, columns, problems)
    problems.raise_if_any()
    return Repository(session, company_id, resource.table).page(request)


DerivedFilter = Callable[[Session, int, list[str]], Any]
DerivedFields = Callable[[Session, int, list[Any]], dict[int, dict[str, Any]]]
DERIVED_FILTERS: dict[str, dict[str, DerivedFilter]] = {}
DERIVED_FIELDS: dict[str, DerivedFields] = {}


def derived_filter(path: str, name: str) -> Callable[[DerivedFilter], DerivedFilter]:
    """Register a list filter of `path` that is not a column (e.g. leads by `grade`)."""

    def register(function: DerivedFilter) -> DerivedFilter:
        DERIVED_FILTERS.setdefault(path, {})[name] = function
        return function

    return register


def derived_fields(path: str) -> Callable[[DerivedFields], DerivedFields]:
    """Register fields shown with records of `path` that live elsewhere (e.g. lead scores)."""

    def register(function: DerivedFields) -> DerivedFields:
        DERIVED_FIELDS[path] = function
        return function

    return register


def _apply_filters(
    session: Session, company_id: int, resource: Resource,
    params: Mapping[str, Sequence[str]], request: PageRequest, problems: Problems,
) -> None:
    columns = filterable_columns(resource)
    references = {ref.name: ref for ref in resource.references}
    derived = DERIVED_FILTERS.get(resource.path, {})
    for name, raw_values in params.items():
        if name in RESERVED_PARAMS:
            continue
        if name in derived:
            request.conditions.append(derived[name](session, company_id, list(raw_values)))
        elif name in references:
            ref = references[name]
            repo = Repository(session, company_id, ref.target)
            ids = [None if v == "null" else _target_id(repo, ref.key, v) for v in raw_values]
            request.filters[ref.column] = ids
        elif name in columns:
            try:
                request.filters[name] = [_parse(columns[name], name, v) for v in raw_values]
            except ValueError as error:
                problems.add(name, str(error))
        else:
            allowed = ", ".join(sorted([*columns, *references, *derived]))
            problems.add(name, f"unknown filter; filter by one of: {allowed}")


def _apply_paging(
    params: Mapping[str, Sequence[str]], request: PageRequest, columns: dict[str, type],
    problems: Problems,
) -> None:
    if "q" in params:
        request.q = params["q"][-1].strip() or None
    if "cursor" in params:
        request.cursor = params["cursor"][-1]
    if "limit" in params:
        raw = params["limit"][-1]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            problems.add("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        else:
            request.limit = int(raw)
    if "sort" in params:
        sort = params["sort"][-1].strip()
        request.descending = sort.startswith("-")
        request.sort = sort.lstrip("-+")
        if request.sort not in columns:
            problems.add("sort", f"cannot sort by '{request.sort}'; use one of: "
                         + ", ".join(sorted(columns)))


def _target_id(repo: Repository[Any], key: str, value: str) -> int:
    if value.isdigit():
        return int(value) if int(value) < INT_LIMIT else -1
    target = repo.find(key, _normalise(key, value))
    return target.id if target is not None else -1


def filterable_columns(resource: Resource) -> dict[str, type]:
    """Columns a list may be filtered and sorted by, with their Python types."""
    found: dict[str, type] = {}
    for column in resource.table.__table__.columns:
        if column.name in ("company_id", *resource.hidden) or isinstance(column.type, JSON):
            continue
        found[column.name] = python_type(column.type)
    return found


def _parse(kind: type, name: str, value: str) -> Any:
    if value == "null":
        return None
    if kind is bool:
        if value.lower() not in {"true", "false"}:
            raise ValueError("must be true or false")
        return value.lower() == "true"
    if kind is int:
        if not value.lstrip("-").isdigit():
            raise ValueError(f"'{value}' is not a whole number")
        if abs(int(value)) >= INT_LIMIT:
            raise ValueError(f"'{value}' is out of range")
        return int(value)
    if kind is float:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"'{value}' is not a finite number")
        return number
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return _normalise(name, value)


def _normalise(column: str, value: str) -> str:
    if column == "email":
        return normalise_email(value)
    if column == "domain":
        return normalise_domain(value)
    return value


def serialize(session: Session, company_id: int, resource: Resource, rows: list[Any]) -> list[
    dict[str, Any]
]:
    """Records as JSON-ready dicts, each reference also shown by its natural key."""
    names = {
        ref.name: Repository(session, company_id, ref.target).keys_by_id(
            (getattr(r, ref.column) for r in rows), ref.key
        )
        for ref in resource.references
    }
    out = []
    for row in rows:
        item = {
            c.name: _json(getattr(row, c.name))
            for c in resource.table.__table__.columns
            if c.name not in ("company_id", *resource.hidden)
        }
        for ref in resource.references:
            item[ref.name] = names[ref.name].get(getattr(row, ref.column))
        out.append(item)
    extra = DERIVED_FIELDS.get(resource.path)
    if extra is not None:
        found = extra(session, company_id, rows)
        for item in out:
            item.update(found.get(item["id"], {}))
    return out


def serialize_one(session: Session, company_id: int, resource: Resource, row: Any) -> dict[
    str, Any
]:
    return serialize(session, company_id, resource, [row])[0]


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def require(condition: bool, message: str) -> None:
    """Raise ValidationFailed(message) unless `condition`."""
    if not condition:
        raise ValidationFailed(message)


__all__ = ["create", "delete", "get", "hook", "list_page", "serialize", "t", "update"]
