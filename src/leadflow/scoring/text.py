"""The text form of a scoring model: parse it into a model, render a model back to it."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, VisitError

from leadflow.scoring.errors import ModelError, ModelInvalid, TextFormError
from leadflow.scoring.model import ScoringModel, model_from_dict
from leadflow.scoring.schema import BUILTIN_SCHEMA, Schema
from leadflow.scoring.text_errors import SYNTAX_HINTS
from leadflow.scoring.text_render import render_text, slugify

__all__ = ["parse_text", "render_text"]

_POS = "__pos__"
_HEADERS = "__headers__"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@cache
def _parser() -> Lark:
    grammar = resources.files("leadflow.scoring").joinpath("grammar.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_text(text: str, schema: Schema = BUILTIN_SCHEMA) -> ScoringModel:
    """Parse and validate the text form; raises TextFormError or ModelInvalid (with lines)."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    try:
        data = _ToDict().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, TextFormError):
            raise exc.orig_exc from None
        raise
    positions: dict[str, tuple[int, int]] = data.pop(_HEADERS, {})
    _strip_positions(data, "", positions)
    try:
        return model_from_dict(data, schema)
    except ModelInvalid as exc:
        raise ModelInvalid([_locate(e, positions) for e in exc.errors]) from None


def _syntax_error(exc: UnexpectedInput, text: str) -> TextFormError:
    """A TextFormError with position and the hint of the closest known bad example."""
    try:
        label = exc.match_examples(_parser().parse, SYNTAX_HINTS, use_accepts=True)
    except TypeError:  # lark formats a debug message eagerly and fails on some parser states
        label = None
    hint = label if isinstance(label, str) else None
    if isinstance(exc, UnexpectedCharacters):
        start = exc.pos_in_stream or 0
        found = text[start : start + 1]
        message = f"unexpected character {found!r}"
        hint = _character_hint(found) if found in "\"'" else hint or _character_hint(found)
    else:
        token = getattr(exc, "token", None)
        shown = "end of text" if token is None or token.type == "$END" else repr(str(token))
        expected = sorted(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or [])
        message = f"unexpected {shown}"
        if expected and not hint:
            hint = "expected one of: " + ", ".join(_readable(t) for t in expected[:12])
    line, column = max(exc.line, 1), max(exc.column, 1)
    if message == "unexpected end of text":
        line, column = _end_of(text)
    context = exc.get_context(text)
    return TextFormError(message, line=line, column=column, hint=hint, context=context)


def _end_of(text: str) -> tuple[int, int]:
    """Line and column just after the last character of `text`."""
    stripped = text.rstrip()
    last_line = stripped.rsplit("\n", 1)[-1]
    return stripped.count("\n") + 1, len(last_line) + 1


def _character_hint(found: str) -> str:
    if found in "\"'":
        return "a string must end with the same quote on the same line"
    if found.isalpha():
        return "keywords are UPPER CASE, fields lower_snake_case, entities CamelCase"
    return "remove or quote this character"


def _readable(terminal: str) -> str:
    names = {"STRING": "'text'", "NUMBER": "a number", "FIELD": "a field",
             "ENTITY": "an entity", "COND_AND": "AND <condition>", "$END": "end of text"}
    return names.get(terminal, terminal)


def _locate(error: ModelError, positions: dict[str, tuple[int, int]]) -> ModelError:
    """The error with the line and column of the closest element of its path."""
    path = error.path
    while path and path not in positions:
        shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        path = "" if shorter == path else shorter
    line, column = positions.get(path, (1, 1))
    return ModelError(error.path, error.message, error.hint, line, column)


def _strip_positions(node: Any, path: str, out: dict[str, tuple[int, int]]) -> None:
    """Move every element's recorded position into `out`, keyed by its dict path."""
    if isinstance(node, dict):
        if _POS in node:
            out[path] = node.pop(_POS)
        for key, child in node.items():
            _strip_positions(child, f"{path}.{key}" if path else key, out)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _strip_positions(child, f"{path}[{i}]", out)


def _unquote(token: str) -> str:
    body = token[1:-1]

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u"):
            return chr(int(code[2:-1] if code.startswith("u{") else code[1:], 16))
        return _ESCAPES.get(code, code)

    return re.sub(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|.)", replace, body)


def _number(token: Token) -> int | float:
    text = str(token)
    return float(text) if any(c in text for c in ".eE") else int(text)


def _pos(meta: Any) -> tuple[int, int]:
    return (getattr(meta, "line", 1), getattr(meta, "column", 1))


class _ToDict(Transformer[Token, Any]):
    """Turns the parse tree into the model's dict shape, positions kept under `__pos__`."""

    @v_args(meta=True)
    def start(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        name, *rest = items
        data: dict[str, Any] = {"name": name, _POS: (1, 1)}
        rules = []
        for item in rest:
            if isinstance(item, Tree):
                raise TypeError("unexpected tree")  # pragma: no cover - grammar guarantees
            if item[0] == "rule":
                rules.append(item[1])
                continue
            key, value, where = item
            if key in data:
                raise TextFormError(f"{_CLAUSES[key]} is given twice", line=where[0],
                                    column=where[1], hint="give each model clause once")
            data[key] = value
            data.setdefault(_HEADERS, {})[key] = where
        data.setdefault("key", slugify(name))
        data["rules"] = rules
        return data

    def string(self, items: list[Token]) -> str:
        return _unquote(str(items[0]))

    @v_args(meta=True)
    def key(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("key", items[0], _pos(meta))

    @v_args(meta=True)
    def description(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("description", items[0], _pos(meta))

    @v_args(meta=True)
    def scope(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("lead_scope", str(items[0]), _pos(meta))

    @v_args(meta=True)
    def sales_ready(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("sales_ready_score", _number(items[0]), _pos(meta))

    @v_args(meta=True)
    def bounds(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("bounds", items[0], _pos(meta))

    @v_args(meta=True)
    def grades(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("grades", items, _pos(meta))

    @v_args(meta=True)
    def audience(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("audience", [i for i in items if isinstance(i, dict)], _pos(meta))

    @v_args(meta=True)
    def applies_to(self, meta: Any, items: list[Any]) -> tuple[str, Any, tuple[int, int]]:
        return ("applies_to", items, _pos(meta))

    def closed_range(self, items: list[Token]) -> dict[str, Any]:
        return {"min": _number(items[0]), "max": _number(items[1])}

    def up_to(self, items: list[Token]) -> dict[str, Any]:
        return {"max": _number(items[0])}

    def from_on(self, items: list[Token]) -> dict[str, Any]:
        return {"min": _number(items[0])}

    @v_args(meta=True)
    def grade(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        span = items[1] if len(items) > 1 else {}
        return {"name": str(items[0]), **span, _POS: _pos(meta)}

    @v_args(meta=True)
    def campaign(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return {"campaign": items[0], _POS: _pos(meta)}

    @v_args(meta=True)
    def program(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return {"program": items[0], _POS: _pos(meta)}

    @v_args(meta=True)
    def company(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return {"company": True, _POS: _pos(meta)}

    @v_args(meta=True)
    def rule(self, meta: Any, items: list[Any]) -> tuple[str, dict[str, Any]]:
        name, points, *rest = items
        data: dict[str, Any] = {"name": name, "points": _number(points), _POS: _pos(meta)}
        if rest and isinstance(rest[0], Token) and rest[0].type == "NUMBER":
            data["limit"] = _number(rest.pop(0))
        data["conditions"] = [c for c in rest if isinstance(c, dict)]
        return ("rule", data)

    @v_args(meta=True)
    def condition(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        data: dict[str, Any] = {_POS: _pos(meta)}
        for item in items:
            if isinstance(item, Token):
                data["entity"] = str(item)
            else:
                data.update(item)
        return data

    def each(self, items: list[Any]) -> dict[str, Any]:
        return {"frequency": "each"}

    def at_least(self, items: list[Token]) -> dict[str, Any]:
        return {"frequency": "at_least", "count": _number(items[0])}

    def none(self, items: list[Any]) -> dict[str, Any]:
        return {"frequency": "none"}

    def where(self, items: list[Any]) -> dict[str, Any]:
        return {"where": items}

    def within(self, items: list[Token]) -> dict[str, Any]:
        return {"window": {"days": _number(items[0])}}

    def since(self, items: list[Any]) -> dict[str, Any]:
        return {"window": {"since": items[0]}}

    def context(self, items: list[Token]) -> dict[str, Any]:
        return {"context": str(items[0]).lower()}

    @v_args(meta=True)
    def compare(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        field, op, value = items
        return {"field": str(field), "op": str(op.data), "value": value, _POS: _pos(meta)}

    def _expr(self, meta: Any, op: str, items: list[Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"field": str(items[0]), "op": op, _POS: _pos(meta)}
        if len(items) == 2:
            data["value"] = items[1]
        elif len(items) == 3:
            data["value"] = [items[1], items[2]]
        return data

    @v_args(meta=True)
    def is_in(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return self._expr(meta, "in", items)

    @v_args(meta=True)
    def not_in(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return self._expr(meta, "not_in", items)

    @v_args(meta=True)
    def between(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return self._expr(meta, "between", items)

    @v_args(meta=True)
    def is_empty(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return self._expr(meta, "is_empty", items)

    @v_args(meta=True)
    def is_not_empty(self, meta: Any, items: list[Any]) -> dict[str, Any]:
        return self._expr(meta, "is_not_empty", items)

    def value_list(self, items: list[Any]) -> list[Any]:
        return items

    def number(self, items: list[Token]) -> int | float:
        return _number(items[0])

    def true(self, items: list[Any]) -> bool:
        return True

    def false(self, items: list[Any]) -> bool:
        return False

    def days_ago(self, items: list[Token]) -> dict[str, Any]:
        return {"days_ago": _number(items[0])}


_CLAUSES = {
    "key": "KEY", "description": "DESCRIPTION", "lead_scope": "SCOPE",
    "sales_ready_score": "SALES READY AT", "bounds": "BOUNDS", "grades": "GRADES",
    "audience": "AUDIENCE", "applies_to": "APPLIES TO",
}
