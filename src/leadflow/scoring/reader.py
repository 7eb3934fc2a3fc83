"""Read the dict (YAML/JSON) shape of a scoring model into value objects, checking structure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from leadflow.scoring.errors import ModelError, ModelInvalid, did_you_mean
from leadflow.scoring.model import (
    LIST_OPS,
    VALUELESS_OPS,
    Bounds,
    Condition,
    Expr,
    Grade,
    Rule,
    ScoringModel,
    Target,
    Window,
)
from leadflow.scoring.schema import Schema
from leadflow.scoring.validation import field_spec
from leadflow.scoring.values import Value, coerce_scalar, parse_date

T = TypeVar("T")
_MODEL_KEYS = [
    "key", "name", "description", "kind", "lead_scope", "audience", "applies_to", "rules",
    "grades", "sales_ready_score", "bounds",
]
_IGNORED_MODEL_KEYS = ("status", "version")  # life cycle, kept by the service, not the model
_MISSING = object()


def read_model(data: Mapping[str, Any], schema: Schema) -> ScoringModel:
    """The model described by `data`; raises ModelInvalid on structural errors."""
    reader = _Reader(schema)
    model = reader.model(data)
    if reader.errors:
        raise ModelInvalid(reader.errors)
    return model


def read_condition(data: object, schema: Schema, path: str
                   ) -> tuple[Condition, list[ModelError]]:
    """One condition in its dict shape, used outside a model (assignment rules), with the
    structural errors found (paths start with `path`)."""
    reader = _Reader(schema)
    return reader.condition(data, path, ""), reader.errors


def read_expr(data: object, schema: Schema, path: str, entity: str
              ) -> tuple[Expr, list[ModelError]]:
    """One `where` expression on `entity` in its dict shape, with the structural errors found."""
    reader = _Reader(schema)
    return reader.expr(data, path, "", entity), reader.errors


def _is_int(raw: object) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


class _Reader:
    """Walks the dict shape, collecting every structural error with its path."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.errors: list[ModelError] = []

    def fail(self, path: str, message: str, hint: str | None = None) -> None:
        self.errors.append(ModelError(path, message, hint))

    def mapping(
        self, data: object, path: str, label: str, allowed: Sequence[str], required: Sequence[str]
    ) -> Mapping[str, Any]:
        """`data` as a mapping with only `allowed` keys and every `required` one."""
        if not isinstance(data, Mapping):
            self.fail(path, f"{label}must be a mapping, got {type(data).__name__}")
            return {}
        for key in data:
            if key not in allowed:
                hint = "valid keys: " + ", ".join(allowed)
                self.fail(_join(path, str(key)), f"{label}unknown key `{key}`"
                          + did_you_mean(str(key), allowed), hint)
        for key in required:
            if key not in data:
                self.fail(_join(path, key), f"{label}`{key}` is required")
        return data

    def items(self, data: Mapping[str, Any], key: str, path: str, label: str) -> list[Any]:
        """The list under `key` (absent → empty)."""
        raw = data.get(key, [])
        if raw is None:
            return []
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
            self.fail(_join(path, key), f"{label}`{key}` must be a list")
            return []
        return list(raw)

    def scalar(
        self, data: Mapping[str, Any], key: str, path: str, label: str,
        check: Callable[[object], bool], what: str, default: T,
    ) -> Any:
        """The value under `key` if it passes `check`, else record an error."""
        raw = data.get(key, _MISSING)
        if raw is _MISSING or (raw is None and default is None):
            return default
        if not check(raw):
            self.fail(_join(path, key), f"{label}`{key}` must be {what}, got {raw!r}")
            return default
        return raw

    def text(self, data: Mapping[str, Any], key: str, path: str, label: str) -> str:
        value: str = self.scalar(data, key, path, label, lambda r: isinstance(r, str), "text", "")
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, path: str, label: str, default: int | None
    ) -> Any:
        return self.scalar(data, key, path, label, _is_int, "a whole number", default)

    def model(self, data: Mapping[str, Any]) -> ScoringModel:
        allowed = [*_MODEL_KEYS, *_IGNORED_MODEL_KEYS]
        data = self.mapping(data, "", "", allowed, ["key", "name", "rules"])
        bounds = None
        if data.get("bounds") is not None:
            raw = self.mapping(data["bounds"], "bounds", "bounds: ", ["min", "max"], [])
            bounds = Bounds(
                self.integer(raw, "min", "bounds", "bounds: ", None),
                self.integer(raw, "max", "bounds", "bounds: ", None),
            )
        return ScoringModel(
            key=self.text(data, "key", "", ""),
            name=self.text(data, "name", "", ""),
            description=self.text(data, "description", "", "") if data.get("description") else "",
            kind=self.text(data, "kind", "", "") or "rules",
            lead_scope=self.text(data, "lead_scope", "", "") or "any",
            audience=tuple(
                self.condition(c, f"audience[{i}]", "audience: ")
                for i, c in enumerate(self.items(data, "audience", "", ""))
            ),
            applies_to=tuple(
                self.target(t, f"applies_to[{i}]")
                for i, t in enumerate(self.items(data, "applies_to", "", ""))
            ),
            rules=tuple(
                self.rule(r, f"rules[{i}]")
                for i, r in enumerate(self.items(data, "rules", "", ""))
            ),
            grades=tuple(
                self.grade(g, f"grades[{i}]")
                for i, g in enumerate(self.items(data, "grades", "", ""))
            ),
            sales_ready_score=self.integer(data, "sales_ready_score", "", "", None),
            bounds=bounds,
        )

    def target(self, data: object, path: str) -> Target:
        raw = self.mapping(data, path, "applies_to: ", ["campaign", "program", "company"], [])
        if len(raw) != 1:
            self.fail(path, "applies_to: each target is one of {campaign: KEY}, "
                      "{program: KEY} or {company: true}")
            return Target("company")
        kind, key = next(iter(raw.items()))
        if kind == "company":
            if key is not True:
                self.fail(_join(path, "company"), "applies_to: write {company: true}")
            return Target("company")
        if not isinstance(key, str) or not key:
            self.fail(_join(path, kind), f"applies_to: {kind} key must be text")
        return Target(kind, str(key))

    def grade(self, data: object, path: str) -> Grade:
        raw = self.mapping(data, path, "grades: ", ["name", "min", "max"], ["name"])
        return Grade(
            self.text(raw, "name", path, "grades: "),
            self.integer(raw, "min", path, "grades: ", None),
            self.integer(raw, "max", path, "grades: ", None),
        )

    def rule(self, data: object, path: str) -> Rule:
        name = data.get("name") if isinstance(data, Mapping) else None
        label = f"rule '{name}': " if isinstance(name, str) else f"{path}: "
        keys = ["name", "points", "limit", "conditions"]
        raw = self.mapping(data, path, label, keys, ["name", "points", "conditions"])
        conditions = self.items(raw, "conditions", path, label)
        return Rule(
            name=self.text(raw, "name", path, label),
            points=self.integer(raw, "points", path, label, 0),
            limit=self.integer(raw, "limit", path, label, None),
            conditions=tuple(
                self.condition(c, f"{path}.conditions[{i}]", label)
                for i, c in enumerate(conditions)
            ),
        )

    def condition(self, data: object, path: str, label: str) -> Condition:
        keys = ["entity", "where", "frequency", "count", "window", "context"]
        raw = self.mapping(data, path, label, keys, ["entity"])
        entity = self.text(raw, "entity", path, label)
        behaviour = Condition(entity).is_behaviour
        if not behaviour:
            for key in ("frequency", "count", "window", "context"):
                if key in raw:
                    self.fail(_join(path, key), f"{label}`{key}` applies only to behaviour "
                              f"conditions, not to {entity}",
                              "behaviour conditions start with an interaction type")
        return Condition(
            entity=entity,
            where=tuple(
                self.expr(e, f"{path}.where[{i}]", label, entity)
                for i, e in enumerate(self.items(raw, "where", path, label))
            ),
            frequency=self.text(raw, "frequency", path, label) or "at_least",
            count=self.integer(raw, "count", path, label, 1),
            window=self.window(raw.get("window"), _join(path, "window"), label),
            context=self.text(raw, "context", path, label) or "lead",
        )

    def window(self, data: object, path: str, label: str) -> Window | None:
        if data is None:
            return None
        raw = self.mapping(data, path, label, ["days", "since"], [])
        if len(raw) != 1:
            self.fail(path, f"{label}a window is {{days: N}} or {{since: DATE}}")
            return None
        if "days" in raw:
            return Window(days=self.integer(raw, "days", path, label, 1))
        try:
            return Window(since=parse_date(raw["since"]))
        except ValueError as exc:
            self.fail(_join(path, "since"), f"{label}window since {exc}")
            return None

    def expr(self, data: object, path: str, label: str, entity: str) -> Expr:
        raw = self.mapping(data, path, label, ["field", "op", "value"], ["field", "op"])
        field, op = self.text(raw, "field", path, label), self.text(raw, "op", path, label)
        if op in VALUELESS_OPS:
            if raw.get("value") is not None:
                self.fail(_join(path, "value"), f"{label}`{op}` takes no value")
            return Expr(field, op)
        if "value" not in raw:
            self.fail(_join(path, "value"), f"{label}`{field} {op}` needs a value")
        return Expr(field, op, self._value(raw.get("value"), op, entity, field))

    def _value(self, raw: object, op: str, entity: str, field: str) -> Value:
        """The typed value when the field resolves; raw otherwise (validation reports it)."""
        spec = field_spec(self.schema, entity, field)
        if op in LIST_OPS and isinstance(raw, Sequence) and not isinstance(raw, str):
            return tuple(self._scalar(spec, item) for item in raw)
        return self._scalar(spec, raw)  # type: ignore[no-any-return]

    @staticmethod
    def _scalar(spec: Any, raw: Any) -> Any:
        if spec is None:
            return raw
        try:
            return coerce_scalar(spec.type, raw)
        except ValueError:
            return raw


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
