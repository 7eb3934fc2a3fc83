"""Which scoring models score a lead (`scoring.model_selection`), and assignment conflicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from leadflow.scoring.errors import ModelError, ModelInvalid
from leadflow.scoring.evaluate import LeadFacts, applies
from leadflow.scoring.matching import follow
from leadflow.scoring.model import ScoringModel, Target
from leadflow.scoring.schema import BUILTIN_SCHEMA, Schema

MODEL_SELECTIONS = ("all", "context")


@dataclass(frozen=True)
class ModelChoice:
    """The models that score a lead and, when there are none, why."""

    models: tuple[ScoringModel, ...]
    reason: str | None = None


def select_models(
    models: Sequence[ScoringModel],
    facts: LeadFacts,
    model_selection: str,
    as_of: datetime | None = None,
    *,
    schema: Schema = BUILTIN_SCHEMA,
) -> ModelChoice:
    """The live `models` that score the lead under the company's `model_selection` setting."""
    if model_selection == "all":
        fitting = tuple(m for m in models if applies(m, facts, as_of, schema=schema))
        return ModelChoice(fitting, None if fitting else "no live scoring model fits this lead")
    if model_selection != "context":
        raise ValueError(f"model_selection must be one of {MODEL_SELECTIONS}")
    target = lead_target(facts)
    label = "the company" if target.kind == "company" else f"{target.kind} '{target.key}'"
    assigned = [m for m in models if target in m.applies_to]
    if not assigned:
        return ModelChoice((), f"{label} has no scoring model")
    if len(assigned) > 1:
        keys = ", ".join(sorted(m.key for m in assigned))
        return ModelChoice((), f"{label} is assigned to several live models: {keys}")
    model = assigned[0]
    if not applies(model, facts, as_of, schema=schema):
        return ModelChoice((), f"model '{model.key}' of {label} does not fit this lead "
                           "(lead scope or audience)")
    return ModelChoice((model,))


def lead_target(facts: LeadFacts) -> Target:
    """The lead's marketing context: its campaign, else its program, else the company."""
    for kind in ("campaign", "program"):
        record = follow(facts.lead, [kind])
        if record is not None:
            return Target(kind, str(record.get("key") or record.get("id")))
    return Target("company")


def assignment_conflicts(live_models: Sequence[ScoringModel]) -> list[ModelError]:
    """One error per target assigned to more than one of `live_models`."""
    owners: dict[Target, list[str]] = {}
    for model in live_models:
        for target in dict.fromkeys(model.applies_to):
            owners.setdefault(target, []).append(model.key)
    errors = []
    for target, keys in owners.items():
        if len(keys) > 1:
            label = "the company" if target.kind == "company" else f"{target.kind} '{target.key}'"
            errors.append(ModelError(
                "applies_to",
                f"{label} is assigned to several live models: " + ", ".join(keys),
                "a target may be assigned to at most one live model; stop or reassign the other",
            ))
    return errors


def check_assignment_conflicts(live_models: Sequence[ScoringModel]) -> None:
    """Raise ModelInvalid if a target is assigned to two of `live_models`."""
    errors = assignment_conflicts(live_models)
    if errors:
        raise ModelInvalid(errors)
