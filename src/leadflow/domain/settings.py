"""Per-company settings (SPEC §6.5): their keys, allowed values and defaults."""

from __future__ import annotations

from typing import Any

from leadflow.errors import Problems

CHOICES: dict[str, tuple[str, ...]] = {
    "scoring.model_selection": ("all", "context"),
    "leads.creation_strategy": ("campaign", "program", "company"),
    "leads.creation_scope": ("contact", "account"),
}
FLAGS: tuple[str, ...] = (
    "lifecycle.auto_advance_on_sales_ready",
    "lifecycle.recycle_resets_behavior",
    "assignment.on_sales_ready",
)
DEFAULTS: dict[str, Any] = {
    "scoring.model_selection": "all",
    "leads.creation_strategy": "campaign",
    "leads.creation_scope": "contact",
    "lifecycle.auto_advance_on_sales_ready": True,
    "lifecycle.recycle_resets_behavior": True,
    # Run the assignment rules again when a lead without an owner becomes sales-ready.
    "assignment.on_sales_ready": False,
}


def effective_settings(stored: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with what the company set."""
    return {**DEFAULTS, **(stored or {})}


def validate_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """Check setting names and values; return them normalised or raise ValidationFailed."""
    problems = Problems("Invalid company settings")
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name in CHOICES:
            if value not in CHOICES[name]:
                allowed = ", ".join(CHOICES[name])
                problems.add(name, f"must be one of: {allowed} (got {value!r})")
            else:
                clean[name] = value
        elif name in FLAGS:
            flag = _as_flag(value)
            if flag is None:
                problems.add(name, f"must be true or false (got {value!r})")
            else:
                clean[name] = flag
        else:
            known = ", ".join(DEFAULTS)
            problems.add(name, f"unknown setting; known settings: {known}")
    problems.raise_if_any()
    return clean


def _as_flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "yes", "on", "1"}:
        return True
    if isinstance(value, str) and value.lower() in {"false", "no", "off", "0"}:
        return False
    return None
