"""Managing assignment rules over REST and running them on demand (SPEC §4, §6.2):
order and reordering, checks with clear paths, roles, tenant isolation, the history of a lead,
and `POST /assignment-rules/run` / `leadflow assign` with their dry run."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from leadflow.db.database import Database
from tests.conftest import Tenant
from tests.integration.assignment_world import bulk_leads, history, lead, owners, rule, run, users

URL = "/api/v1/assignment-rules"


def names(api: TestClient) -> list[str]:
    result = api.get(URL)
    assert result.status_code == 200, result.text
    items = result.json()["items"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    return [item["name"] for item in items]


def test_rules_are_created_read_changed_moved_and_deleted(api: TestClient) -> None:
    users(api, "ana@s.test", "ben@s.test")
    first = rule(api, name="A", assign={"user": "ana@s.test"})
    assert first == first | {"position": 1, "name": "A", "enabled": True, "conditions": [],
                             "assign": {"user": "ana@s.test"}, "set": {}}
    rule(api, name="B")
    rule(api, name="C", position=1)
    assert names(api) == ["C", "A", "B"]
    assert api.get(f"{URL}/A").json()["id"] == first["id"]
    assert api.get(f"{URL}/{first['id']}").json()["name"] == "A"
    moved = api.patch(f"{URL}/A", json={"position": 99, "enabled": False,
                                        "assign": {"round_robin": [
                                            "ana@s.test", {"user": "ben@s.test", "weight": 2}]}})
    assert moved.status_code == 200, moved.text
    assert moved.json() == moved.json() | {"position": 3, "enabled": False, "assign": {
        "round_robin": ["ana@s.test", {"user": "ben@s.test", "weight": 2}]}}
    assert names(api) == ["C", "B", "A"]
    renamed = api.patch(f"{URL}/B", json={"name": "B2", "set": {"territory": "west"}})
    assert renamed.json()["set"] == {"territory": "west"}
    assert api.delete(f"{URL}/C").status_code == 204
    assert names(api) == ["B2", "A"]
    assert api.get(f"{URL}/C").status_code == 404


def test_deleting_a_rule_keeps_the_history_it_wrote(api: TestClient) -> None:
    users(api, "ana@s.test")
    rule(api, name="All", assign={"user": "ana@s.test"})
    created = lead(api)
    assert api.delete(f"{URL}/All").status_code == 204
    [entry] = history(api, created["id"])
    assert (entry["rule"], entry["rule_id"], entry["owner"]) == ("All", None, "ana@s.test")


def test_bad_rules_are_refused_with_every_problem_and_its_path(api: TestClient) -> None:
    users(api, "ana@s.test")
    result = api.post(URL, json={
        "name": "Bad",
        "conditions": [{"entity": "Lead.contact",
                        "where": [{"field": "stat", "op": "eq", "value": "CA"}]},
                       {"score": {"model": "nope", "op": "ge", "value": 1}}],
        "assign": {"round_robin": ["ana@s.test", "anna@s.test"]},
        "set": {"priority": "asap"}, "position": 0})
    assert result.status_code == 422
    assert result.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"]: e["message"] for e in result.json()["errors"]}
    assert fields.keys() == {"position"}  # the position is checked first
    result = api.post(URL, json={
        "name": "Bad",
        "conditions": [{"entity": "Lead.contact",
                        "where": [{"field": "stat", "op": "eq", "value": "CA"}]},
                       {"score": {"model": "nope", "op": "ge", "value": 1}}],
        "assign": {"round_robin": ["ana@s.test", "anna@s.test"]},
        "set": {"priority": "asap"}})
    fields = {e["field"]: e["message"] for e in result.json()["errors"]}
    assert "did you mean `state`" in fields["conditions[0].where[0].field"]
    assert "unknown scoring model `nope`" in fields["conditions[1].score.model"]
    assert "no user 'anna@s.test'" in fields["assign.round_robin[1]"]
    assert "must be one of" in fields["set.priority"]
    assert names(api) == []
    rule(api, name="Taken")
    assert api.post(URL, json={"name": "Taken"}).status_code == 409
    assert api.post(URL, json=["not", "a", "rule"]).status_code == 422
    patched = api.patch(f"{URL}/Taken", json={"set": {"priority": "asap"}})
    assert patched.status_code == 422
    assert api.get(f"{URL}/Taken").json()["set"] == {}


def test_viewers_read_rules_but_only_marketers_and_admins_change_or_run_them(
    api: TestClient, http: TestClient, make_key: Any, site: Tenant
) -> None:
    rule(api, name="A")
    viewer = make_key(site.company, "viewer").headers
    marketer = make_key(site.company, "marketer").headers
    assert http.get(URL, headers=viewer).status_code == 200
    assert http.post(URL, json={"name": "V"}, headers=viewer).status_code == 403
    assert http.post(f"{URL}/run", json={"all": True}, headers=viewer).status_code == 403
    assert http.post(URL, json={"name": "M"}, headers=marketer).status_code == 201
    assert http.post(f"{URL}/run", json={"all": True}, headers=marketer).status_code == 200


def test_companies_see_and_name_only_their_own_rules_and_users(
    api: TestClient, http: TestClient, make_client_company: Any
) -> None:
    users(api, "ana@s.test")
    rule(api, name="Site rule", assign={"user": "ana@s.test"})
    client = make_client_company("acme")
    assert http.get(URL, headers=client.headers).json()["items"] == []
    assert http.get(f"{URL}/Site rule", headers=client.headers).status_code == 404
    refused = http.post(URL, json={"name": "Steal", "assign": {"user": "ana@s.test"}},
                        headers=client.headers)
    assert refused.status_code == 422
    assert "no user 'ana@s.test'" in refused.text
    # The site admin acts on the client by naming it.
    acting = {"X-Company": "acme"}
    assert api.post(URL, json={"name": "Client rule"}, headers=acting).status_code == 201
    assert [r["name"] for r in http.get(URL, headers=client.headers).json()["items"]] == [
        "Client rule"]
    assert names(api) == ["Site rule"]


def test_on_demand_for_one_lead_a_filter_or_all(api: TestClient, db: Database,
                                                site: Tenant) -> None:
    users(api, "ana@s.test", "ben@s.test")
    ids = bulk_leads(db, site.company.id, 4)
    with db.transaction() as session:
        from sqlalchemy import update

        from leadflow.db import tables as t

        session.execute(update(t.Lead).where(t.Lead.id == ids[3]).values(stage="won"))
    rule(api, name="All", assign={"round_robin": ["ana@s.test", "ben@s.test"]})
    one = run(api, lead_id=ids[0])
    assert [(i["lead_id"], i["result"], i["owner"]) for i in one["items"]] == [
        (ids[0], "assigned", {"old": None, "new": "ana@s.test"})]
    again = run(api, lead_id=ids[0])
    assert again["items"] == [] and again["counts"]["skipped"] == 1
    by_stage = run(api, filter={"stage": ["nurture"], "owner": None})
    assert [i["lead_id"] for i in by_stage["items"]] == ids[1:3]
    everything = run(api, all=True)
    assert [i["lead_id"] for i in everything["items"]] == [ids[3]]
    assert [e["trigger"] for e in history(api, ids[3])] == ["on_demand"]
    reassigned = run(api, all=True, only_unassigned=False)
    assert reassigned["leads"] == 4
    assert set(owners(db, site.company.id).values()) == {"ana@s.test", "ben@s.test"}


def test_on_demand_refuses_unclear_requests(api: TestClient) -> None:
    for body, words in [
        ({}, "exactly one of lead_id, filter or all"),
        ({"all": True, "lead_id": 1}, "exactly one of"),
        ({"filter": {"colour": "red"}}, "unknown filter"),
        ({"filter": {"stage": "done"}}, "must be one of"),
        ({"filter": {"owner": "nobody@s.test"}}, "no user 'nobody@s.test'"),
        ({"lead_id": 999}, "no lead '999'"),
        ({"all": True, "dryrun": True}, "dryrun"),
    ]:
        result = api.post(f"{URL}/run", json=body)
        assert result.status_code in (404, 422), (body, result.text)
        assert words in result.text, (body, result.text)


def test_leadflow_assign_shows_a_table_and_json_and_its_dry_run_writes_nothing(
    api: TestClient, cli: Any, db: Database, site: Tenant
) -> None:
    users(api, "ana@s.test")
    rule(api, name="All", assign={"user": "ana@s.test"}, set={"territory": "west"})
    ids = bulk_leads(db, site.company.id, 2)
    dry = cli("assign", "--all", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "ana@s.test" in dry.stdout and "territory: - → west" in dry.stdout
    assert "Would change (dry run, nothing was written): 2 of 2 leads" in dry.stdout
    assert set(owners(db, site.company.id).values()) == {None}
    one = cli("assign", str(ids[0]), "--json")
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["counts"]["assigned"] == 1
    rest = cli("assign", "--stage", "nurture")
    assert "Changed: 1 of 1 leads (1 assigned)." in rest.stdout
    assert set(owners(db, site.company.id).values()) == {"ana@s.test"}
    for args, words in [((), "give one LEAD_ID, --all or --stage"),
                        (("--all", "--stage", "won"), "give one LEAD_ID"),
                        (("--stage", "done"), "filter.stage: must be one of: nurture")]:
        failed = cli("assign", *args)
        assert failed.exit_code == 1 and "Traceback" not in failed.output
        assert words in failed.stderr, failed.stderr


def test_the_routes_are_documented(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {URL, f"{URL}/run", f"{URL}/{{ident}}", "/api/v1/leads/{ident}/assignments"} <= set(
        paths)
