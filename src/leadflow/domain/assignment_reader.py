"""Read and check the dict (YAML/JSON) shape of an assignment rule, collecting every problem
with its path (`conditions[0].where[1].field: unknown field `stat` on Contact; did you mean
`state`?`). Conditions are read and checked by the scoring core itself, so a rule accepts
exactly the fixed conditions a scoring model does, with the company's custom fields."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadflow.domain.assignment import (
    CONDITION_ROOTS,
    OWNER_CHOICES,
    PRIORITIES,
    SCORE_KINDS,
    SET_FIELDS,
    AssignmentRuleSpec,
    OwnerChoice,
    PoolMember,
    RuleCondition,
    SalesReadyCondition,
    ScoreCondition,
    lead_rooted,
)
from leadflow.domain.naming import normalise_email
from leadflow.scoring.errors import ModelError, did_you_mean
from leadflow.scoring.reader import read_condition, read_expr
from leadflow.scoring.schema import EntitySpec, FieldSpec, FieldType, Schema
from leadflow.scoring.validation import condition_errors, expr_errors

RULE_KEYS = ("name", "enabled", "conditions", "assign", "set")
MAX_NAME = 200
MAX_LABEL = 100
MAX_WEIGHT = 1000
CONDITION_SHAPES = ("{entity: Lead|Contact|Account|Campaign…, where: […]}, {score: {model, op,"
                    " value}}, {grade: {model, op, value}} or {sales_ready: true|false}")


@dataclass(frozen=True)
class Vocabulary:
    """What a rule may name: the company's schema, its scoring models (key → grade names) and
    its users' emails (None: users are not checked, e.g. when reading a stored rule)."""

    schema: Schema
    grades: Mapping[str, Sequence[str]]
    users: Collection[str] | None = None


class RuleInvalid(ValueError):
    """An assignment rule that does not read or check; carries every problem found."""

    def __init__(self, errors: list[ModelError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))


def read_rule(data: object, vocabulary: Vocabulary, *, check: bool = True) -> AssignmentRuleSpec:
    """The rule `data` describes; RuleInvalid lists every problem. Without `check` only the
    structure is read (stored rules, already checked when saved)."""
    reader = _Reader(vocabulary, check)
    rule = reader.rule(data)
    if reader.errors:
        raise RuleInvalid(reader.errors)
    return rule


def _nul_paths(value: Any, path: str) -> list[str]:
    """Paths of text holding NUL, which PostgreSQL can neither store nor compare."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _nul_paths(v, f"{path}.{k}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _nul_paths(v, f"{path}[{i}]")]
    return []


class _Reader:
    def __init__(self, vocabulary: Vocabulary, check: bool) -> None:
        self.vocabulary, self.check = vocabulary, check
        self.errors: list[ModelError] = []

    def fail(self, path: str, message: str, hint: str | None = None) -> None:
        self.errors.append(ModelError(path, message, hint))

    def keys(self, data: Mapping[Any, Any], path: str, allowed: Sequence[str]) -> bool:
        ok = True
        for key in data:
            if key not in allowed:
                ok = False
                self.fail(_join(path, str(key)), f"unknown key `{key}`"
                          + did_you_mean(str(key), allowed), "valid keys: " + ", ".join(allowed))
        return ok

    def rule(self, data: object) -> AssignmentRuleSpec:
        if not isinstance(data, Mapping):
            self.fail("", f"a rule must be a mapping, got {type(data).__name__}")
            return AssignmentRuleSpec("")
        self.keys(data, "", RULE_KEYS)
        for path in _nul_paths(dict(data), "")[:5]:
            self.fail(path.lstrip("."), "text must not contain the NUL character (\\x00)")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.fail("name", "a rule needs a name (text)")
            name = ""
        elif len(name.strip()) > MAX_NAME:
            self.fail("name", f"at most {MAX_NAME} characters")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            self.fail("enabled", f"must be true or false, got {enabled!r}")
            enabled = True
        raw = data.get("conditions") or []
        if not isinstance(raw, list):
            self.fail("conditions", "must be a list of conditions")
            raw = []
        conditions = tuple(c for i, item in enumerate(raw)
                           if (c := self.condition(item, f"conditions[{i}]")) is not None)
        return AssignmentRuleSpec(
            name=name.strip(), conditions=conditions, assign=self.assign(data.get("assign")),
            set_fields=self.set_fields(data.get("set")), enabled=enabled)

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, data: object, path: str) -> RuleCondition | None:
        if isinstance(data, Mapping) and "entity" in data:
            return self.fixed(data, path)
        if isinstance(data, Mapping) and len(data) == 1:
            ((kind, body),) = data.items()
            if kind in SCORE_KINDS:
                return self.score(str(kind), body, _join(path, str(kind)))
            if kind == "sales_ready":
                if isinstance(body, bool):
                    return SalesReadyCondition(body)
                self.fail(_join(path, kind), f"must be true or false, got {body!r}")
                return None
        self.fail(path, "a condition is " + CONDITION_SHAPES)
        return None

    def fixed(self, data: Mapping[str, Any], path: str) -> RuleCondition | None:
        schema = self.vocabulary.schema
        condition, errors = read_condition(data, schema, path)
        root = condition.root
        if root not in CONDITION_ROOTS:
            entity = schema.entity(root)
            if entity is not None and entity.is_interaction:
                self.fail(_join(path, "entity"), f"`{root}` is an interaction type; assignment "
                          "conditions are on Lead, Contact, Account or Campaign",
                          "to route by activity, use a score or grade condition")
            else:
                self.fail(_join(path, "entity"), f"unknown entity `{root}`"
                          + did_you_mean(root, CONDITION_ROOTS),
                          "roots: " + ", ".join(CONDITION_ROOTS))
            return None
        self.errors += errors
        if self.check and not errors:
            self.errors += condition_errors(lead_rooted(condition), schema, path)
        return condition

    def score(self, kind: str, body: object, path: str) -> ScoreCondition | None:
        if not isinstance(body, Mapping):
            self.fail(path, f"write {{{kind}: {{model: KEY, op: OP, value: …}}}}")
            return None
        if not self.keys(body, path, ("model", "op", "value")):
            return None
        model = body.get("model")
        if model is not None and not isinstance(model, str):
            self.fail(_join(path, "model"), f"must be a scoring model key, got {model!r}")
            return None
        raw = {"field": kind, **{k: v for k, v in body.items() if k != "model"}}
        expr, errors = read_expr(raw, self.vocabulary.schema, path, kind)
        self.errors += errors
        if self.check and not errors:
            entity = self.score_entity(kind, model, path)
            if entity is not None:
                self.errors += expr_errors(expr, entity, self.vocabulary.schema, path)
        return ScoreCondition(kind, expr, model)

    def score_entity(self, kind: str, model: str | None, path: str) -> EntitySpec | None:
        """A synthetic entity holding the `score` or `grade` field, so the scoring core checks
        operators and values (grades: the model's grade names)."""
        grades = self.vocabulary.grades
        if model is not None and model not in grades:
            self.fail(_join(path, "model"), f"unknown scoring model `{model}`"
                      + did_you_mean(model, grades),
                      "models: " + (", ".join(grades) or "none yet"))
            return None
        if kind == "score":
            spec = FieldSpec("score", FieldType.NUMBER)
        else:
            names = list(grades[model]) if model is not None else sorted(
                {g for names in grades.values() for g in names})
            if not names:
                self.fail(_join(path, "model"), f"scoring model `{model}` has no grades"
                          if model else "no scoring model has grades yet")
                return None
            spec = FieldSpec("grade", FieldType.CHOICE, tuple(names))
        return EntitySpec(kind.title(), {kind: spec}, {})

    # --- actions ------------------------------------------------------------------------------

    def assign(self, data: object) -> OwnerChoice | None:
        if data is None:
            return None
        shapes = "{user: EMAIL}, {round_robin: [EMAIL | {user: EMAIL, weight: N}]} or " \
                 "{least_loaded: [EMAIL]}"
        if not isinstance(data, Mapping) or len(data) != 1:
            self.fail("assign", "the owner choice is one of " + shapes)
            return None
        ((kind, body),) = data.items()
        path = _join("assign", str(kind))
        if kind not in OWNER_CHOICES:
            self.fail(path, f"unknown owner choice `{kind}`" + did_you_mean(str(kind),
                      OWNER_CHOICES), "choices: " + shapes)
            return None
        if kind == "user":
            member = self.member(body, path, weighted=False)
            return OwnerChoice("user", (member,)) if member else None
        if not isinstance(body, list) or not body:
            self.fail(path, "must be a non-empty list of user emails")
            return None
        members = [self.member(item, f"{path}[{i}]", weighted=kind == "round_robin")
                   for i, item in enumerate(body)]
        seen: set[str] = set()
        for i, member in enumerate(members):
            if member is not None and member.user in seen:
                self.fail(f"{path}[{i}]", f"{member.user} is listed twice")
            if member is not None:
                seen.add(member.user)
        found = tuple(m for m in members if m is not None)
        return OwnerChoice(str(kind), found) if len(found) == len(members) else None

    def member(self, data: object, path: str, *, weighted: bool) -> PoolMember | None:
        weight: object = 1
        if weighted and isinstance(data, Mapping):
            if not self.keys(data, path, ("user", "weight")):
                return None
            weight = data.get("weight", 1)
            data = data.get("user")
            path = _join(path, "user")
        if not isinstance(data, str) or not data.strip():
            self.fail(path, f"must be a user's email, got {data!r}")
            return None
        email = normalise_email(data)
        users = self.vocabulary.users
        if self.check and users is not None and email not in users:
            self.fail(path, f"no user '{email}' in this company" + did_you_mean(email, users))
            return None
        if isinstance(weight, bool) or not isinstance(weight, int) or not (
                1 <= weight <= MAX_WEIGHT):
            self.fail(path.removesuffix(".user") + ".weight",
                      f"a weight is a whole number from 1 to {MAX_WEIGHT}, got {weight!r}")
            return None
        return PoolMember(email, weight)

    def set_fields(self, data: object) -> dict[str, str]:
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            self.fail("set", "must be a mapping of field: value (status, territory, priority)")
            return {}
        self.keys(data, "set", SET_FIELDS)
        out: dict[str, str] = {}
        for name in SET_FIELDS:
            if name not in data:
                continue
            value = data[name]
            if not isinstance(value, str) or not value.strip():
                self.fail(f"set.{name}", f"must be text, got {value!r}")
            elif name == "priority" and value not in PRIORITIES:
                self.fail("set.priority", f"must be one of: {', '.join(PRIORITIES)} "
                          f"(got {value!r})" + did_you_mean(value, PRIORITIES))
            elif len(value.strip()) > MAX_LABEL:
                self.fail(f"set.{name}", f"at most {MAX_LABEL} characters")
            else:
                out[name] = value.strip()
        return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
