"""Who may do what: roles of users and API keys, and the resources each may change."""

from __future__ import annotations

ROLES = ("admin", "marketer", "sales", "viewer", "ingest")
USER_ROLES = ("admin", "marketer", "sales", "viewer")

MARKETING = frozenset(
    {"programs", "campaigns", "landing-pages", "events", "emails", "custom-fields",
     "interaction-types", "contacts", "accounts", "leads", "opportunities", "imports",
     "scoring-models", "assignment-rules"}
)
_WRITES: dict[str, frozenset[str]] = {
    "marketer": MARKETING,
    "sales": frozenset({"contacts", "accounts", "leads", "opportunities"}),
    "viewer": frozenset(),
    "ingest": frozenset(),
}


def may_read(role: str) -> bool:
    """Every role but `ingest` may read its company's records."""
    return role in ROLES and role != "ingest"


def may_write(role: str, resource: str) -> bool:
    """Whether `role` may create, change or delete records of `resource`."""
    if role == "admin":
        return True
    return resource in _WRITES.get(role, frozenset())


def may_ingest(role: str) -> bool:
    """Whether `role` may send activity (interactions, forms, tracking)."""
    return role in {"admin", "marketer", "ingest"}
