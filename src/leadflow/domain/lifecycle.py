"""The lead life cycle (SPEC §5) as a pure state machine: stages, actions and which action is
allowed from which stage. Services perform the actions; this module only decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.errors import Conflict, FieldError, NotFound, ValidationFailed

# In order: the way a lead normally travels.
STAGES = ("nurture", "sales_ready", "accepted", "qualified", "opportunity", "won", "lost")
CLOSED_STAGES = ("won", "lost")
OPEN_STAGES = tuple(stage for stage in STAGES if stage not in CLOSED_STAGES)
MAX_REASON = 2000


@dataclass(frozen=True)
class Action:
    """One life-cycle action: the stages it may start from, where it leads, whether it needs a
    reason."""

    name: str
    sources: tuple[str, ...]
    target: str
    needs_reason: bool = False

    @property
    def closes(self) -> bool:
        """Won, lost, disqualified: the lead is done and a new interest makes a new lead."""
        return self.target in CLOSED_STAGES

    @property
    def recycles(self) -> bool:
        """Back to marketing: the sales-ready flag goes, and (by setting) old behaviour too."""
        return self.name in ("reject", "recycle")


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("promote", ("nurture",), "sales_ready"),
    Action("accept", ("sales_ready",), "accepted"),
    Action("reject", ("sales_ready",), "nurture", needs_reason=True),
    Action("recycle", ("sales_ready", "accepted", "qualified"), "nurture", needs_reason=True),
    Action("qualify", ("accepted",), "qualified"),
    Action("convert", ("accepted", "qualified"), "opportunity"),
    Action("win", ("opportunity",), "won"),
    Action("lose", ("opportunity",), "lost"),
    Action("disqualify", OPEN_STAGES, "lost", needs_reason=True),
)}


def allowed_actions(stage: str) -> tuple[str, ...]:
    """The actions that may be taken on a lead in `stage` (none once it is closed)."""
    return tuple(name for name, action in ACTIONS.items() if stage in action.sources)


class TransitionRefused(Conflict):
    """An action that the lead's stage does not allow; the problem lists what is allowed."""

    def __init__(self, action: str, stage: str) -> None:
        self.action, self.stage = action, stage
        self.allowed = allowed_actions(stage)
        choices = ", ".join(self.allowed) if self.allowed else "none (the lead is closed)"
        super().__init__(f"cannot {action} a lead in stage '{stage}'; allowed actions: {choices}")

    def problem(self) -> dict[str, Any]:
        return {**super().problem(), "stage": self.stage, "action": self.action,
                "allowed_actions": list(self.allowed)}


def action_named(name: str) -> Action:
    """The action called `name`; NotFound (naming every action) otherwise."""
    found = ACTIONS.get(name)
    if found is None:
        raise NotFound(f"no life-cycle action '{name}'; actions: {', '.join(ACTIONS)}")
    return found


def check(stage: str, name: str, reason: str | None) -> Action:
    """The action to take, once it is known, allowed from `stage` and given its reason."""
    action = action_named(name)
    if stage not in action.sources:
        raise TransitionRefused(name, stage)
    text = (reason or "").strip()
    if action.needs_reason and not text:
        raise ValidationFailed("Invalid action", errors=[
            FieldError("reason", f"a reason is required to {name} a lead")])
    if len(text) > MAX_REASON:
        raise ValidationFailed("Invalid action", errors=[
            FieldError("reason", f"at most {MAX_REASON} characters")])
    return action
