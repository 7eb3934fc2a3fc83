"""Which rule applies and whom it gives the lead to (SPEC §4): first match in order, disabled
rules skipped, a named user, least loaded under capacity, round robin skipping unavailable
users, field updates, and "nobody can take it" recorded and announced."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leadflow.db.database import Database
from tests.conftest import Tenant
from tests.integration.assignment_world import (
    contact,
    events,
    history,
    lead,
    rule,
    users,
)

IN_CA = [{"entity": "Lead.contact", "where": [{"field": "state", "op": "eq", "value": "CA"}]}]


def test_the_first_enabled_rule_that_holds_applies(api: TestClient) -> None:
    users(api, "ana@s.test", "ben@s.test", "cy@s.test")
    contact(api, "west@x.test", state="CA")
    contact(api, "east@x.test", state="NY")
    rule(api, name="Off", enabled=False, assign={"user": "cy@s.test"})
    rule(api, name="West", conditions=IN_CA, assign={"user": "ana@s.test"},
         set={"territory": "west", "priority": "high", "status": "New"})
    rule(api, name="Rest", assign={"user": "ben@s.test"})
    west = lead(api, contact_email="west@x.test")
    east = lead(api, contact_email="east@x.test")
    assert (west["owner"], west["territory"], west["priority"], west["status"]) == (
        "ana@s.test", "west", "high", "New")
    assert (east["owner"], east["territory"]) == ("ben@s.test", None)
    [entry] = history(api, west["id"])
    assert entry | {"at": None} == {
        "id": entry["id"], "at": None, "trigger": "created", "rule": "West",
        "rule_id": entry["rule_id"], "result": "assigned", "owner": "ana@s.test",
        "previous_owner": None, "reason": None,
        "set": {"territory": {"old": None, "new": "west"},
                "priority": {"old": "normal", "new": "high"},
                "status": {"old": None, "new": "New"}}}


def test_reordering_changes_which_rule_applies(api: TestClient) -> None:
    users(api, "ana@s.test", "ben@s.test")
    contact(api, "west@x.test", state="CA")
    rule(api, name="West", conditions=IN_CA, assign={"user": "ana@s.test"})
    rule(api, name="Rest", assign={"user": "ben@s.test"}, position=1)
    assert lead(api, contact_email="west@x.test")["owner"] == "ben@s.test"


def test_assigned_is_announced_with_old_and_new_owner(api: TestClient, db: Database,
                                                       site: Tenant) -> None:
    users(api, "ana@s.test")
    made = rule(api, name="All", assign={"user": "ana@s.test"}, set={"territory": "emea"})
    created = lead(api)
    [event] = events(db, site.company.id, "lead.assigned")
    assert event == {"lead_id": created["id"], "rule": "All", "rule_id": made["id"],
                     "trigger": "created", "owner": {"old": None, "new": "ana@s.test"},
                     "owner_id": {"old": None, "new": event["owner_id"]["new"]},
                     "set": {"territory": {"old": None, "new": "emea"}}}


def test_a_named_user_who_is_unavailable_leaves_the_lead_unassigned(
    api: TestClient, db: Database, site: Tenant
) -> None:
    users(api, "ana@s.test", available=False)
    rule(api, name="Ana", assign={"user": "ana@s.test"}, set={"territory": "west"})
    created = lead(api)
    assert created["owner"] is None
    assert created["territory"] == "west"  # the rule applied; only nobody could take it
    [entry] = history(api, created["id"])
    assert (entry["result"], entry["owner"], entry["reason"]) == (
        "unassignable", None, "the rule's user is unavailable")
    [event] = events(db, site.company.id, "lead.unassignable")
    assert (event["lead_id"], event["rule"], event["reason"]) == (
        created["id"], "Ana", "the rule's user is unavailable")
    assert events(db, site.company.id, "lead.assigned") == []


def test_a_named_user_at_capacity_is_not_given_more(api: TestClient) -> None:
    users(api, "ana@s.test", capacity=1)
    rule(api, name="Ana", assign={"user": "ana@s.test"})
    assert lead(api)["owner"] == "ana@s.test"
    full = lead(api)
    assert full["owner"] is None
    assert "at capacity (1 open leads of 1)" in history(api, full["id"])[0]["reason"]


def test_least_loaded_gives_the_user_with_fewest_open_leads_under_capacity(
    api: TestClient
) -> None:
    users(api, "ana@s.test", "ben@s.test")
    users(api, "cy@s.test", capacity=0)
    for owner in ("ana@s.test",) * 2 + ("ben@s.test",) * 3:
        lead(api, owner=owner)
    rule(api, name="Load", assign={"least_loaded": ["cy@s.test", "ana@s.test", "ben@s.test"]})
    # cy has no room; ana holds 2, ben 3; ties go to the first listed.
    assert [lead(api)["owner"] for _ in range(4)] == [
        "ana@s.test", "ana@s.test", "ben@s.test", "ana@s.test"]


def test_closed_leads_do_not_count_towards_load_or_capacity(api: TestClient, db: Database,
                                                           site: Tenant) -> None:
    from sqlalchemy import update

    from leadflow.db import tables as t

    users(api, "ana@s.test", capacity=2)
    users(api, "ben@s.test")
    for _ in range(2):
        lead(api, owner="ana@s.test")
    rule(api, name="Load", assign={"least_loaded": ["ana@s.test", "ben@s.test"]})
    assert lead(api)["owner"] == "ben@s.test"  # ana is full
    with db.transaction() as session:
        session.execute(update(t.Lead).where(t.Lead.company_id == site.company.id,
                                             t.Lead.owner_id.is_not(None))
                        .values(stage="won"))
    assert lead(api)["owner"] == "ana@s.test"  # both hold 0 open leads: the first listed


def test_round_robin_skips_unavailable_users(api: TestClient) -> None:
    users(api, "ana@s.test", "cy@s.test")
    users(api, "ben@s.test", available=False)
    rule(api, name="Pool", assign={"round_robin": ["ana@s.test", "ben@s.test", "cy@s.test"]})
    owners = [lead(api)["owner"] for _ in range(4)]
    assert owners == ["ana@s.test", "cy@s.test", "ana@s.test", "cy@s.test"]


def test_a_pool_where_nobody_can_take_the_lead(api: TestClient, db: Database,
                                               site: Tenant) -> None:
    users(api, "ana@s.test", available=False)
    users(api, "ben@s.test", capacity=0)
    rule(api, name="Pool", assign={"round_robin": ["ana@s.test", "ben@s.test"]})
    created = lead(api)
    assert created["owner"] is None
    [event] = events(db, site.company.id, "lead.unassignable")
    assert event["reason"] == "every user of the round robin is unavailable or at capacity"


def test_no_matching_rule_leaves_the_lead_alone_and_records_nothing(api: TestClient) -> None:
    users(api, "ana@s.test")
    rule(api, name="West", conditions=IN_CA, assign={"user": "ana@s.test"})
    created = lead(api)
    assert created["owner"] is None
    assert history(api, created["id"]) == []


def test_rules_on_custom_fields_and_the_lead_campaign(api: TestClient) -> None:
    users(api, "ana@s.test", "ben@s.test")
    assert api.post("/api/v1/custom-fields", json={
        "key": "segment", "entity": "contact", "type": "choice",
        "choices": ["smb", "enterprise"]}).status_code == 201
    assert api.post("/api/v1/campaigns", json={"key": "spring", "name": "S"}).status_code == 201
    contact(api, "big@x.test", custom={"segment": "enterprise"})
    rule(api, name="Enterprise", conditions=[{"entity": "Contact", "where": [
        {"field": "segment", "op": "eq", "value": "enterprise"}]}],
        assign={"user": "ana@s.test"})
    rule(api, name="Spring", conditions=[{"entity": "Campaign", "where": [
        {"field": "key", "op": "eq", "value": "spring"}]}], assign={"user": "ben@s.test"})
    assert lead(api, contact_email="big@x.test")["owner"] == "ana@s.test"
    assert lead(api, campaign="spring")["owner"] == "ben@s.test"
    assert lead(api)["owner"] is None


def test_a_rule_without_owner_choice_only_sets_fields(api: TestClient) -> None:
    rule(api, name="Tag", set={"status": "To qualify"})
    created: dict[str, Any] = lead(api)
    assert (created["owner"], created["status"]) == (None, "To qualify")
    [entry] = history(api, created["id"])
    assert entry["result"] == "updated"
