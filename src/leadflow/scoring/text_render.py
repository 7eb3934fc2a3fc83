"""Render a scoring model in its text form (the inverse of `parse_text`)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from leadflow.scoring.model import Bounds, Condition, Expr, Grade, Rule, ScoringModel, Target
from leadflow.scoring.values import DaysAgo, Scalar, Value

_DQ = '"'
_BARE_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*\Z")
_SYMBOLS = {
    "eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
    "contains": "CONTAINS", "not_contains": "NOT CONTAINS",
    "starts_with": "STARTS WITH", "ends_with": "ENDS WITH",
}


def slugify(name: str) -> str:
    """The default model key for a name: lower case, runs of other characters as '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "model"


def quote(text: str, mark: str = "'") -> str:
    """`text` as a string literal with backslash escapes."""
    out = []
    for char in text:
        if char in ("\\", mark):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return mark + "".join(out) + mark


def render_text(model: ScoringModel) -> str:
    """The text form of `model`; `parse_text(render_text(m)) == m`."""
    head = f"MODEL {quote(model.name, _DQ)}"
    if model.key != slugify(model.name):
        head += f" KEY {quote(model.key)}"
    if model.lead_scope != "any":
        head += f" SCOPE {model.lead_scope}"
    if model.sales_ready_score is not None:
        head += f" SALES READY AT {model.sales_ready_score}"
    lines = [head]
    if model.description:
        lines.append(f"DESCRIPTION {quote(model.description, _DQ)}")
    if model.bounds is not None:
        lines.append("BOUNDS " + _range(model.bounds))
    if model.grades:
        lines.append("GRADES " + ", ".join(_grade(g) for g in model.grades))
    if model.audience:
        lines.append("AUDIENCE " + "\n  AND ".join(_condition(c) for c in model.audience))
    if model.applies_to:
        lines.append("APPLIES TO " + ", ".join(_target(t) for t in model.applies_to))
    lines += [_rule(r) for r in model.rules]
    return "\n".join(lines) + "\n"


def _range(span: Bounds | Grade) -> str:
    if span.min is not None and span.max is not None:
        return f"{span.min} TO {span.max}"
    if span.max is not None:
        return f"TO {span.max}"
    return f"FROM {span.min}" if span.min is not None else ""


def _grade(grade: Grade) -> str:
    name = grade.name if _BARE_NAME.match(grade.name) else quote(grade.name, _DQ)
    span = _range(grade)
    return f"{name} {span}" if span else name


def _target(target: Target) -> str:
    if target.kind == "company":
        return "COMPANY"
    return f"{target.kind.upper()} {quote(target.key or '')}"


def _rule(rule: Rule) -> str:
    head = f"RULE {quote(rule.name, _DQ)} {rule.points:+d}"
    if rule.limit is not None:
        head += f" LIMIT {rule.limit}"
    return head + "\n  WHEN " + "\n  AND ".join(_condition(c) for c in rule.conditions)


def _condition(cond: Condition) -> str:
    parts = []
    if cond.is_behaviour and cond.frequency == "each":
        parts.append("EACH")
    elif cond.is_behaviour and cond.frequency == "none":
        parts.append("NONE")
    elif cond.count != 1:
        parts.append(f"AT LEAST {cond.count}")
    parts.append(cond.entity)
    if cond.where:
        parts.append("WHERE " + " AND ".join(_expr(e) for e in cond.where))
    if cond.window is not None and cond.window.since is not None:
        parts.append(f"SINCE {quote(cond.window.since.isoformat())}")
    elif cond.window is not None:
        parts.append(f"WITHIN {cond.window.days} DAYS")
    if cond.context != "lead":
        parts.append(f"CONTEXT {cond.context.upper()}")
    return " ".join(parts)


def _expr(expr: Expr) -> str:
    if expr.op == "is_empty":
        return f"{expr.field} IS EMPTY"
    if expr.op == "is_not_empty":
        return f"{expr.field} IS NOT EMPTY"
    if expr.op in ("in", "not_in"):
        keyword = "IN" if expr.op == "in" else "NOT IN"
        return f"{expr.field} {keyword} {_list(expr.value)}"
    if expr.op == "between" and isinstance(expr.value, tuple):
        low, high = expr.value
        return f"{expr.field} BETWEEN {_value(low)} AND {_value(high)}"
    return f"{expr.field} {_SYMBOLS[expr.op]} {_value(expr.value)}"


def _list(value: Value) -> str:
    items = value if isinstance(value, tuple) else (value,)
    return "(" + ", ".join(_value(v) for v in items) + ")"


def _value(value: Value) -> str:
    if isinstance(value, tuple) or value is None:
        raise ValueError(f"cannot render {value!r} as a single value")
    return _scalar(value)


def _scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, DaysAgo):
        return f"{value.days} DAYS AGO"
    if isinstance(value, date):
        return quote(value.isoformat())
    if isinstance(value, str):
        return quote(value)
    return repr(value)
