"""Validate a scoring model against a schema, collecting every error with its path."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from leadflow.scoring.errors import ModelError, did_you_mean
from leadflow.scoring.schema import (
    ATTR_PREFIX,
    FIXED_ROOTS,
    MAX_HOPS,
    OPERATOR_TYPES,
    OPERATORS,
    EntitySpec,
    FieldSpec,
    FieldType,
    Schema,
)
from leadflow.scoring.values import DaysAgo, scalar_fits

if TYPE_CHECKING:
    from leadflow.scoring.model import Condition, Expr, Grade, Rule, ScoringModel, Target

MODEL_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


def split_field(entity: EntitySpec, field: str) -> tuple[list[str], str]:
    """Split a dotted field into its relation hops and the final field name."""
    parts = field.split(".")
    hops: list[str] = []
    while len(parts) > 1 and parts[0] + "." != ATTR_PREFIX:
        hops.append(parts.pop(0))
    return hops, ".".join(parts)


def field_spec(schema: Schema, entity_path: str, field: str) -> FieldSpec | None:
    """The spec of `field` on the record reached by `entity_path`, or None if unresolvable."""
    names = entity_path.split(".")
    current = schema.entity(names[0])
    for hop in names[1:]:
        current = _follow(schema, current, hop)
    if current is None:
        return None
    hops, name = split_field(current, field)
    for hop in hops:
        current = _follow(schema, current, hop)
        if current is None:
            return None
    return current.field(name)


def _follow(schema: Schema, entity: EntitySpec | None, hop: str) -> EntitySpec | None:
    if entity is None or hop not in entity.relations:
        return None
    return schema.entity(entity.relations[hop])


def model_errors(model: ScoringModel, schema: Schema) -> list[ModelError]:
    """Every problem of `model` against `schema` (empty when valid)."""
    checker = _Checker(schema)
    checker.model(model)
    return checker.errors


def condition_errors(cond: Condition, schema: Schema, path: str, *, fixed_only: bool = True
                     ) -> list[ModelError]:
    """Every problem of one condition used outside a model (assignment rules); paths start
    with `path`."""
    checker = _Checker(schema)
    checker.condition(cond, path, "", fixed_only=fixed_only)
    return checker.errors


def expr_errors(expr: Expr, entity: EntitySpec, schema: Schema, path: str) -> list[ModelError]:
    """Every problem of one `where` expression on `entity` (which may be a synthetic entity,
    e.g. the scores of a lead); paths start with `path`."""
    checker = _Checker(schema)
    checker.expr(expr, entity, 0, path, "")
    return checker.errors


class _Checker:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.errors: list[ModelError] = []

    def fail(self, path: str, message: str, hint: str | None = None) -> None:
        self.errors.append(ModelError(path, message, hint))

    def model(self, model: ScoringModel) -> None:
        from leadflow.scoring.model import KINDS, LEAD_SCOPES

        if not MODEL_KEY.match(model.key):
            self.fail("key", f"model key {model.key!r} must be a slug like `enterprise-fit`")
        if not model.name.strip():
            self.fail("name", "model name must not be empty")
        if model.kind not in KINDS:
            self.fail("kind", f"kind {model.kind!r} is not a rule model", "kind: rules")
        if model.lead_scope not in LEAD_SCOPES:
            self.fail("lead_scope", f"lead_scope {model.lead_scope!r} is not one of "
                      + ", ".join(LEAD_SCOPES) + did_you_mean(model.lead_scope, LEAD_SCOPES))
        for i, cond in enumerate(model.audience):
            self.condition(cond, f"audience[{i}]", "audience: ", fixed_only=True)
        self.targets(model.applies_to)
        self.rules(model.rules)
        self.grades(model.grades)
        self.no_nul(model)
        low, high = (model.bounds.min, model.bounds.max) if model.bounds else (None, None)
        if model.bounds is not None and low is None and high is None:
            self.fail("bounds", "bounds: give min, max or both")
        if low is not None and high is not None and low > high:
            self.fail("bounds", "bounds: min must not be above max")

    def no_nul(self, model: ScoringModel) -> None:
        """Text literals and grade names (which scoring SQL compares or returns) may not hold
        NUL: PostgreSQL can neither store nor compare it."""
        texts: list[tuple[str, object]] = [(f"grades[{i}].name", g.name)
                                           for i, g in enumerate(model.grades)]
        conditions = [(f"audience[{i}]", c) for i, c in enumerate(model.audience)]
        for i, rule in enumerate(model.rules):
            conditions += [(f"rules[{i}].conditions[{j}]", c)
                           for j, c in enumerate(rule.conditions)]
        for path, cond in conditions:
            for k, expr in enumerate(cond.where):
                items = expr.value if isinstance(expr.value, tuple) else (expr.value,)
                texts += [(f"{path}.where[{k}].value", item) for item in items]
        for path, text in texts:
            if isinstance(text, str) and "\x00" in text:
                self.fail(path, "text must not contain the NUL character (\\x00)")

    def targets(self, targets: tuple[Target, ...]) -> None:
        from leadflow.scoring.model import TARGET_KINDS

        seen: set[Target] = set()
        for i, target in enumerate(targets):
            if target.kind not in TARGET_KINDS:
                self.fail(f"applies_to[{i}]", f"applies_to: unknown target `{target.kind}`")
            elif target.kind != "company" and not target.key:
                self.fail(f"applies_to[{i}]", f"applies_to: {target.kind} needs a key")
            if target in seen:
                self.fail(f"applies_to[{i}]", "applies_to: target listed twice")
            seen.add(target)

    def rules(self, rules: tuple[Rule, ...]) -> None:
        if not rules:
            self.fail("rules", "a model needs at least one rule")
        names: set[str] = set()
        for i, rule in enumerate(rules):
            path, label = f"rules[{i}]", f"rule '{rule.name}': "
            if not rule.name.strip():
                self.fail(f"{path}.name", f"{path}: rule name must not be empty")
            elif rule.name in names:
                self.fail(f"{path}.name", f"{label}another rule has the same name")
            names.add(rule.name)
            if rule.points == 0:
                self.fail(f"{path}.points", f"{label}points must not be zero")
            if rule.limit is not None and rule.limit < 1:
                self.fail(f"{path}.limit", f"{label}limit must be at least 1")
            if not rule.conditions:
                self.fail(f"{path}.conditions", f"{label}needs at least one condition")
            for j, cond in enumerate(rule.conditions):
                self.condition(cond, f"{path}.conditions[{j}]", label, fixed_only=False)
            if sum(c.is_behaviour and c.frequency == "each" for c in rule.conditions) > 1:
                self.fail(f"{path}.conditions", f"{label}at most one condition may be EACH",
                          "split the rule in two, one per counted interaction")

    def grades(self, grades: tuple[Grade, ...]) -> None:
        names: set[str] = set()
        last = len(grades) - 1
        for i, grade in enumerate(grades):
            path, label = f"grades[{i}]", f"grade '{grade.name}': "
            if not grade.name.strip():
                self.fail(f"{path}.name", f"{path}: grade name must not be empty")
            elif grade.name in names:
                self.fail(f"{path}.name", f"{label}another grade has the same name")
            names.add(grade.name)
            if grade.min is None and i > 0:
                self.fail(f"{path}.min", f"{label}only the first grade may omit min")
            if grade.max is None and i < last:
                self.fail(f"{path}.max", f"{label}only the last grade may omit max")
            if grade.min is not None and grade.max is not None and grade.min > grade.max:
                self.fail(path, f"{label}min {grade.min} is above max {grade.max}")
            previous = grades[i - 1] if i else None
            if previous and previous.max is not None and grade.min is not None:
                expected = previous.max + 1
                if grade.min != expected:
                    kind = "gap" if grade.min > expected else "overlap"
                    self.fail(f"{path}.min", f"{label}{kind} after grade '{previous.name}' "
                              f"(min should be {expected})",
                              "grades are ordered, contiguous ranges: next min = previous max + 1")

    def condition(self, cond: Condition, path: str, label: str, *, fixed_only: bool) -> None:
        from leadflow.scoring.model import Condition as _Condition

        names = cond.entity.split(".")
        root = self.schema.entity(names[0])
        if root is None or (root.name not in FIXED_ROOTS and not root.is_interaction):
            roots = self.schema.root_names()
            self.fail(f"{path}.entity", f"{label}unknown entity `{names[0]}`"
                      + did_you_mean(names[0], roots), "roots: " + ", ".join(roots))
            return
        if fixed_only and cond.is_behaviour:
            self.fail(f"{path}.entity", f"{label}only Lead, Contact or Account conditions "
                      f"may be used here, not {root.name}")
        if not cond.is_behaviour:
            defaults = _Condition(cond.entity, cond.where)
            for attr in ("frequency", "count", "window", "context"):
                if getattr(cond, attr) != getattr(defaults, attr):
                    self.fail(f"{path}.{attr}", f"{label}`{attr}` applies only to behaviour "
                              f"conditions, not to {root.name}")
        else:
            self.behaviour(cond, path, label)
        reached = self.walk(root, names[1:], f"{path}.entity", label)
        if reached is None:
            return
        for k, expr in enumerate(cond.where):
            self.expr(expr, reached, len(names) - 1, f"{path}.where[{k}]", label)

    def behaviour(self, cond: Condition, path: str, label: str) -> None:
        from leadflow.scoring.model import CONTEXTS, FREQUENCIES

        if cond.frequency not in FREQUENCIES:
            self.fail(f"{path}.frequency", f"{label}frequency `{cond.frequency}` is not one of "
                      + ", ".join(FREQUENCIES) + did_you_mean(cond.frequency, FREQUENCIES))
        if cond.count < 1:
            self.fail(f"{path}.count", f"{label}count must be at least 1")
        elif cond.count != 1 and cond.frequency != "at_least":
            self.fail(f"{path}.count", f"{label}count goes only with frequency at_least")
        if cond.context not in CONTEXTS:
            self.fail(f"{path}.context", f"{label}context `{cond.context}` is not lead or any")
        window = cond.window
        if window is not None:
            if (window.days is None) == (window.since is None):
                self.fail(f"{path}.window", f"{label}a window has either days or since")
            elif window.days is not None and window.days < 1:
                self.fail(f"{path}.window.days", f"{label}window days must be at least 1")

    def walk(self, entity: EntitySpec, hops: list[str], path: str, label: str) -> EntitySpec | None:
        """Follow relation hops from `entity`, reporting the first unknown one."""
        for hop in hops:
            if hop not in entity.relations:
                known = ", ".join(entity.relations) or "none"
                self.fail(path, f"{label}unknown relation `{hop}` on {entity.name}"
                          + did_you_mean(hop, entity.relations),
                          f"relations of {entity.name}: {known}")
                return None
            found = self.schema.entity(entity.relations[hop])
            assert found is not None
            entity = found
        return entity

    def expr(self, expr: Expr, entity: EntitySpec, hops: int, path: str, label: str) -> None:
        field_hops, name = split_field(entity, expr.field)
        reached = self.walk(entity, field_hops, f"{path}.field", label)
        if reached is None:
            return
        if hops + len(field_hops) > MAX_HOPS:
            self.fail(f"{path}.field", f"{label}`{expr.field}` makes "
                      f"{hops + len(field_hops)} hops; at most {MAX_HOPS} are allowed")
        spec = reached.field(name)
        if spec is None:
            self.unknown_field(reached, name, f"{path}.field", label)
            return
        if expr.op not in OPERATOR_TYPES:
            self.fail(f"{path}.op", f"{label}unknown operator `{expr.op}`"
                      + did_you_mean(expr.op, OPERATORS), "operators: " + " ".join(OPERATORS))
            return
        if spec.type not in OPERATOR_TYPES[expr.op]:
            fits = [op for op in OPERATORS if spec.type in OPERATOR_TYPES[op]]
            self.fail(f"{path}.op", f"{label}operator `{expr.op}` does not fit {spec.type} "
                      f"field `{expr.field}`", "operators for it: " + " ".join(fits))
            return
        self.value(expr, spec, f"{path}.value", label)

    def unknown_field(self, entity: EntitySpec, name: str, path: str, label: str) -> None:
        if name in entity.relations:
            self.fail(path, f"{label}`{name}` is a relation of {entity.name}, not a field",
                      f"name one of its fields, e.g. `{name}.name`")
            return
        fields = entity.field_names()
        hint = f"fields of {entity.name}: " + ", ".join(fields)
        if entity.is_interaction:
            hint += ", attr.<name>"
        self.fail(path, f"{label}unknown field `{name}` on {entity.name}"
                  + did_you_mean(name, fields), hint)

    def value(self, expr: Expr, spec: FieldSpec, path: str, label: str) -> None:
        from leadflow.scoring.model import LIST_OPS, VALUELESS_OPS

        subject = f"{label}`{expr.field} {expr.op}`"
        if expr.op in VALUELESS_OPS:
            if expr.value is not None:
                self.fail(path, f"{subject} takes no value")
            return
        items: tuple[object, ...] = (expr.value,)
        if expr.op in LIST_OPS:
            if not isinstance(expr.value, tuple) or not expr.value:
                self.fail(path, f"{subject} needs a list of values")
                return
            items = expr.value
            if expr.op == "between" and len(items) != 2:
                self.fail(path, f"{subject} needs [low, high]")
                return
        for item in items:
            if not scalar_fits(spec.type, item):
                self.fail(path, f"{subject}: {_expects(spec.type)}, got {item!r}")
                return
        if spec.type is FieldType.CHOICE and expr.op in ("eq", "ne", "in", "not_in"):
            lowered = [c.lower() for c in spec.choices]
            for item in items:
                if str(item).lower() not in lowered:
                    self.fail(path, f"{subject}: {item!r} is not a choice of `{expr.field}`"
                              + did_you_mean(str(item), spec.choices),
                              "choices: " + ", ".join(spec.choices))
        if expr.op == "between" and _descending(items[0], items[1]):
            self.fail(path, f"{subject}: the low end is above the high end")


def _expects(kind: FieldType) -> str:
    return {
        FieldType.TEXT: "expects text",
        FieldType.CHOICE: "expects text",
        FieldType.NUMBER: "expects a number",
        FieldType.BOOLEAN: "expects true or false",
        FieldType.DATE: "expects a date (2024-01-31) or {days_ago: N}",
        FieldType.DATETIME: "expects a date, a date-time or {days_ago: N}",
    }[kind]


def _descending(low: object, high: object) -> bool:
    """True when both ends are comparable and low > high."""
    if isinstance(low, DaysAgo) and isinstance(high, DaysAgo):
        return low.days < high.days
    if isinstance(low, DaysAgo) or isinstance(high, DaysAgo):
        return False
    try:
        return bool(low > high)  # type: ignore[operator]
    except TypeError:
        return False
