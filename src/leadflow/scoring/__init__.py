"""The scoring core: schema, models, text form and evaluation; pure Python, no I/O."""

from leadflow.scoring.errors import ModelError, ModelInvalid, SchemaInvalid, TextFormError
from leadflow.scoring.evaluate import LeadFacts, ModelScore, applies, evaluate
from leadflow.scoring.model import (
    Bounds,
    Condition,
    Expr,
    Grade,
    Rule,
    ScoringModel,
    Target,
    Window,
    model_from_dict,
    model_to_dict,
    validate,
)
from leadflow.scoring.schema import BUILTIN_SCHEMA, FieldType, Schema
from leadflow.scoring.selection import ModelChoice, check_assignment_conflicts, select_models
from leadflow.scoring.text import parse_text, render_text
from leadflow.scoring.values import DaysAgo

__all__ = [
    "BUILTIN_SCHEMA",
    "Bounds",
    "Condition",
    "DaysAgo",
    "Expr",
    "FieldType",
    "Grade",
    "LeadFacts",
    "ModelChoice",
    "ModelError",
    "ModelInvalid",
    "ModelScore",
    "Rule",
    "Schema",
    "SchemaInvalid",
    "ScoringModel",
    "Target",
    "TextFormError",
    "Window",
    "applies",
    "check_assignment_conflicts",
    "evaluate",
    "model_from_dict",
    "model_to_dict",
    "parse_text",
    "render_text",
    "select_models",
    "validate",
]
