"""Who may do what (SPEC §1 User: admin, marketer, sales, viewer; keys may be ingest)."""

from __future__ import annotations

import pytest

from leadflow.domain.roles import ROLES, USER_ROLES, may_ingest, may_read, may_write

RECORDS = ("programs", "campaigns", "landing-pages", "events", "emails", "custom-fields",
           "contacts", "accounts", "leads", "users")


def test_roles() -> None:
    assert set(USER_ROLES) == {"admin", "marketer", "sales", "viewer"}
    assert set(ROLES) == {*USER_ROLES, "ingest"}


@pytest.mark.parametrize(("role", "readable"), [
    ("admin", True), ("marketer", True), ("sales", True), ("viewer", True), ("ingest", False),
    ("owner", False), ("", False),
])
def test_every_role_but_ingest_may_read(role: str, readable: bool) -> None:
    assert may_read(role) is readable


@pytest.mark.parametrize(("role", "writable"), [
    ("admin", set(RECORDS)),
    ("marketer", set(RECORDS) - {"users"}),
    ("sales", {"contacts", "accounts", "leads"}),
    ("viewer", set()),
    ("ingest", set()),
    ("stranger", set()),
])
def test_what_each_role_may_change(role: str, writable: set[str]) -> None:
    assert {r for r in RECORDS if may_write(role, r)} == writable


@pytest.mark.parametrize(("role", "sends"), [
    ("admin", True), ("marketer", True), ("ingest", True), ("sales", False), ("viewer", False),
])
def test_who_may_send_activity(role: str, sends: bool) -> None:
    assert may_ingest(role) is sends
