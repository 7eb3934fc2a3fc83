"""The funnel and attribution reports (SPEC §6.2 reports, issue 5 item 5) over a small world
with known numbers: stage history, opportunities in two currencies, every filter, company
isolation, bad parameters, and the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import records, reports
from leadflow.services.report_filters import ReportFilter
from leadflow.services.resources import BY_PATH
from tests.conftest import Tenant
from tests.integration.api_world import API, field_errors, problem

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 3, 1, tzinfo=UTC)  # T0 + 1416 hours


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@dataclass
class World:
    leads: dict[str, int]  # name → id
    campaigns: dict[str, int]


# name: (campaign, origin (kind, key), owner, stage now, created, [(action, from, to, hour)],
#        sales_ready_at)
LEADS: dict[str, tuple[Any, ...]] = {
    "l1": ("spring", ("landing_page", "spring-form"), "ana", "won", T0, [
        ("promote", "nurture", "sales_ready", 10), ("accept", "sales_ready", "accepted", 20),
        ("qualify", "accepted", "qualified", 30), ("convert", "qualified", "opportunity", 50),
        ("win", "opportunity", "won", 100)], _h(10)),
    "l2": ("spring", ("landing_page", "spring-form"), "ana", "lost", T0, [
        ("promote", "nurture", "sales_ready", 20), ("accept", "sales_ready", "accepted", 24),
        ("convert", "accepted", "opportunity", 40), ("lose", "opportunity", "lost", 60)],
        _h(20)),
    # Rejected: the sales-ready flag and its time were cleared, the history remembers it.
    "l3": ("spring", ("event", "summit"), "bo", "nurture", T0, [
        ("promote", "nurture", "sales_ready", 30), ("reject", "sales_ready", "nurture", 32)],
        None),
    # Created straight into `qualified` (an import from a CRM, say): no move into it.
    "l4": ("fall", ("landing_page", "fall-form"), "bo", "won", T0, [
        ("convert", "qualified", "opportunity", 5), ("win", "opportunity", "won", 15)], None),
    # Flagged sales-ready by its score while auto-advance is off: still in nurture.
    "l5": ("fall", ("email", "invite"), None, "nurture", T0, [], _h(1)),
    "l6": (None, None, None, "nurture", datetime(2025, 2, 1, tzinfo=UTC), [], None),
    "l7": ("fall", None, None, "lost", T0, [("disqualify", "nurture", "lost", 8)], None),
    "l8": ("spring", ("landing_page", "spring-form"), "ana", "accepted", T0, [
        ("promote", "nurture", "sales_ready", 10), ("accept", "sales_ready", "accepted", 12)],
        _h(10)),
}
# lead: [(status, revenue, currency)]
OPPORTUNITIES = {"l1": [("won", 1000.0, "EUR"), ("won", 50.0, "USD")],
                 "l2": [("lost", 500.0, "EUR")], "l4": [("won", 2000.0, "USD")],
                 "l8": [("open", 700.0, "EUR")]}


def build_world(db: Database, company_id: int, with_history: bool = True) -> World:
    """The catalog through the record services, the leads and their history as rows."""
    def add(path: str, **body: Any) -> Any:
        resource = BY_PATH[path]
        return records.create(session, company_id, resource, resource.schema(**body))

    with db.transaction() as session:
        add("programs", key="launch", name="Launch")
        campaigns = {"spring": add("campaigns", key="spring", name="Spring", program="launch"),
                     "fall": add("campaigns", key="fall", name="Fall"),
                     "idle": add("campaigns", key="idle", name="Idle")}
        catalog = {
            ("landing_page", "spring-form"): add("landing-pages", key="spring-form",
                                                 name="Spring form", campaign="spring"),
            ("landing_page", "fall-form"): add("landing-pages", key="fall-form",
                                               name="Fall form", campaign="fall"),
            ("landing_page", "unused"): add("landing-pages", key="unused", name="Unused"),
            ("event", "summit"): add("events", key="summit", name="Summit"),
            ("email", "invite"): add("emails", key="invite", name="Invite"),
        }
        users = {"ana": add("users", email="ana@a.test"), "bo": add("users", email="bo@a.test")}
        ids: dict[str, int] = {}
        for name, (campaign, origin, owner, stage, created, moves, ready) in LEADS.items():
            contact = add("contacts", email=f"{name}@people.test")
            lead = t.Lead(company_id=company_id, name=name, contact_id=contact.id,
                          campaign_id=campaigns[campaign].id if campaign else None,
                          program_id=campaigns[campaign].program_id if campaign else None,
                          owner_id=users[owner].id if owner else None, stage=stage,
                          sales_ready=ready is not None, sales_ready_at=ready,
                          created_at=created, source="manual")
            if origin is not None:
                lead.origin = origin[0]
                setattr(lead, f"origin_{origin[0]}_id", catalog[origin].id)
            session.add(lead)
            session.flush()
            ids[name] = lead.id
            for action, old, new, hour in moves if with_history else []:
                session.add(t.StageChange(company_id=company_id, lead_id=lead.id, action=action,
                                          from_stage=old, to_stage=new, actor="ana@a.test",
                                          at=_h(hour)))
            for status, revenue, currency in OPPORTUNITIES.get(name, []):
                session.add(t.Opportunity(company_id=company_id, lead_id=lead.id, name=name,
                                          status=status, estimated_revenue=revenue,
                                          currency=currency))
        # Linked lead interactions: l1 also filled in the fall form (it "influenced" l1).
        for page in ("spring-form", "fall-form"):
            session.add(t.Interaction(company_id=company_id, type="form_submitted",
                                      occurred_at=T0, lead_id=ids["l1"],
                                      landing_page_id=catalog[("landing_page", page)].id))
        return World(ids, {k: c.id for k, c in campaigns.items()})


@pytest.fixture
def world(db: Database, site: Tenant) -> World:
    return build_world(db, site.company.id)


def _get(api: TestClient, path: str, **params: Any) -> Any:
    answer = api.get(f"{API}/reports/{path}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _by_stage(items: list[dict[str, Any]], field: str) -> dict[str, Any]:
    return {item["stage"]: item[field] for item in items}


# --- Funnel ------------------------------------------------------------------------------------

def test_funnel_counts_leads_per_stage_and_who_ever_reached_each(api: TestClient,
                                                                 world: World) -> None:
    funnel = _get(api, "funnel")
    assert funnel["total"] == 8
    assert _by_stage(funnel["stages"], "leads") == {
        "nurture": 3, "sales_ready": 0, "accepted": 1, "qualified": 0, "opportunity": 0,
        "won": 2, "lost": 2}
    # l2 skipped `qualified` and l4 was created in it: both count as having passed it.
    assert _by_stage(funnel["stages"], "reached") == {
        "nurture": 8, "sales_ready": 5, "accepted": 4, "qualified": 3, "opportunity": 3,
        "won": 2, "lost": 2}
    assert [(c["from_stage"], c["to_stage"], c["reached_from"], c["reached_to"], c["rate"])
            for c in funnel["conversions"]] == [
        ("nurture", "sales_ready", 8, 5, 0.625), ("sales_ready", "accepted", 5, 4, 0.8),
        ("accepted", "qualified", 4, 3, 0.75), ("qualified", "opportunity", 3, 3, 1.0),
        ("opportunity", "won", 3, 2, 0.6667)]


def test_time_in_stage_from_the_stage_history(db: Database, site: Tenant, world: World) -> None:
    with db.transaction() as session:
        funnel = reports.funnel(session, site.company.id, ReportFilter(), now=NOW)
    times = {s.stage: s for s in funnel.time_in_stage}
    assert list(times) == ["nurture", "sales_ready", "accepted", "qualified", "opportunity"]
    finished = {s: (v.stays, v.avg_hours, v.median_hours) for s, v in times.items()}
    assert finished == {
        "nurture": (5, 15.6, 10.0),  # 10, 20, 30, 8, 10 hours before leaving
        "sales_ready": (4, 4.5, 3.0),  # 10, 4, 2, 2
        "accepted": (2, 13.0, 13.0),  # 10, 16
        "qualified": (2, 12.5, 12.5),  # 20, and 5 for l4 created in it
        "opportunity": (3, 26.67, 20.0),  # 50, 20, 10
    }
    # Still in a stage: l3 (back in nurture at +32 h), l5 (since T0), l6 (since 1 Feb); l8.
    current = {s: (v.current, v.current_avg_hours) for s, v in times.items()}
    assert current == {"nurture": (3, round((1384 + 1416 + 672) / 3, 2)),
                       "sales_ready": (0, None), "accepted": (1, 1404.0),
                       "qualified": (0, None), "opportunity": (0, None)}


def test_without_history_leads_count_where_they_are_and_as_having_passed_before(
    db: Database, site: Tenant
) -> None:
    build_world(db, site.company.id, with_history=False)
    with db.transaction() as session:
        funnel = reports.funnel(session, site.company.id, ReportFilter(), now=NOW)
    reached = {s.stage: s.reached for s in funnel.stages}
    # Now: nurture l3 l5 l6, accepted l8, won l1 l4, lost l2 l7 (lost from nowhere known).
    assert reached == {"nurture": 8, "sales_ready": 3, "accepted": 3, "qualified": 2,
                       "opportunity": 2, "won": 2, "lost": 2}
    assert all(s.stays == 0 for s in funnel.time_in_stage)
    assert {s.stage: s.current for s in funnel.time_in_stage}["nurture"] == 3


@pytest.mark.parametrize(("params", "total", "won"), [
    ({"campaign": "spring"}, 4, 1),
    ({"program": "launch"}, 4, 1),
    ({"owner": "ana@a.test"}, 3, 1),
    ({"owner": "bo@a.test", "campaign": "fall"}, 1, 1),
    ({"created_from": "2025-01-15"}, 1, 0),
    ({"created_to": "2025-01-01"}, 7, 2),  # a date is the whole day
    ({"created_to": "2025-01-01T00:00:00Z"}, 7, 2),
    ({"created_to": "2024-12-31T23:59:59+00:00"}, 0, 0),
    ({"created_from": "2025-01-01", "created_to": "2025-01-31"}, 7, 2),
])
def test_funnel_filters(api: TestClient, world: World, params: dict[str, str], total: int,
                        won: int) -> None:
    funnel = _get(api, "funnel", **params)
    assert funnel["total"] == total
    assert _by_stage(funnel["stages"], "leads")["won"] == won
    assert len(funnel["stages"]) == 7


def test_filters_by_id_and_echoes_them_by_key(api: TestClient, world: World) -> None:
    funnel = _get(api, "funnel", campaign=world.campaigns["spring"], created_from="2025-01-01")
    assert funnel["total"] == 4
    assert funnel["filters"] == {"campaign": "spring", "program": None, "owner": None,
                                 "created_from": "2025-01-01T00:00:00+00:00",
                                 "created_to": None}
    assert _by_stage(funnel["stages"], "reached")["sales_ready"] == 4


def test_empty_company_has_all_stages_with_no_rates(api: TestClient) -> None:
    funnel = _get(api, "funnel")
    assert funnel["total"] == 0
    assert [s["stage"] for s in funnel["stages"]] == [
        "nurture", "sales_ready", "accepted", "qualified", "opportunity", "won", "lost"]
    assert {c["rate"] for c in funnel["conversions"]} == {None}
    assert {(s["stays"], s["avg_hours"], s["median_hours"]) for s in funnel["time_in_stage"]} == {
        (0, None, None)}


# --- Attribution -------------------------------------------------------------------------------

def _rows(report: dict[str, Any]) -> dict[str | None, tuple[Any, ...]]:
    def row(item: dict[str, Any]) -> tuple[Any, ...]:
        money = {r["currency"]: (r["amount"], r["opportunities"]) for r in item["revenue"]}
        return (item["leads"], item["sales_ready"], item["won"], item["lost"], money)
    found: dict[str | None, tuple[Any, ...]] = {i["key"]: row(i) for i in report["items"]}
    found["(none)"] = row(report["unattributed"])
    found["(total)"] = row(report["totals"])
    return found


TOTAL = (8, 6, 2, 2, {"EUR": (1000.0, 1), "USD": (2050.0, 2)})


def test_attribution_by_campaign_lists_the_whole_catalog_most_leads_first(
    api: TestClient, world: World
) -> None:
    report = _get(api, "attribution")
    assert report["by"] == "campaign"
    assert [i["key"] for i in report["items"]] == ["spring", "fall", "idle"]
    assert _rows(report) == {
        # l3 was rejected, but had been sales-ready; l8's open opportunity is no revenue.
        "spring": (4, 4, 1, 1, {"EUR": (1000.0, 1), "USD": (50.0, 1)}),
        # l4 was created past sales-ready; l5 is flagged by its score.
        "fall": (3, 2, 1, 1, {"USD": (2000.0, 1)}),
        "idle": (0, 0, 0, 0, {}),
        "(none)": (1, 0, 0, 0, {}),
        "(total)": TOTAL,
    }
    spring, fall, idle = report["items"]
    assert (spring["id"], spring["name"]) == (world.campaigns["spring"], "Spring")
    assert (spring["sales_ready_rate"], spring["win_rate"], spring["close_rate"]) == (
        1.0, 0.25, 0.5)
    assert (fall["sales_ready_rate"], fall["win_rate"]) == (0.6667, 0.3333)
    assert (idle["sales_ready_rate"], idle["win_rate"], idle["close_rate"]) == (None,) * 3


@pytest.mark.parametrize(("by", "expected"), [
    ("landing_page", {
        "spring-form": (3, 3, 1, 1, {"EUR": (1000.0, 1), "USD": (50.0, 1)}),
        "fall-form": (1, 1, 1, 0, {"USD": (2000.0, 1)}),
        "unused": (0, 0, 0, 0, {}),
        "(none)": (4, 2, 0, 1, {}),
        "(total)": TOTAL}),
    ("event", {"summit": (1, 1, 0, 0, {}),
               "(none)": (7, 5, 2, 2, {"EUR": (1000.0, 1), "USD": (2050.0, 2)}),
               "(total)": TOTAL}),
    ("email", {"invite": (1, 1, 0, 0, {}),
               "(none)": (7, 5, 2, 2, {"EUR": (1000.0, 1), "USD": (2050.0, 2)}),
               "(total)": TOTAL}),
])
def test_attribution_by_origin(api: TestClient, world: World, by: str,
                               expected: dict[str, Any]) -> None:
    assert _rows(_get(api, "attribution", by=by)) == expected


def test_influence_counts_linked_interactions_but_credit_goes_to_the_origin(
    api: TestClient, world: World
) -> None:
    report = _get(api, "attribution", by="landing_page")
    influenced = {i["key"]: (i["leads"], i["influenced"]) for i in report["items"]}
    assert influenced == {"spring-form": (3, 1), "fall-form": (1, 1), "unused": (0, 0)}
    assert report["totals"]["influenced"] is None


def test_attribution_filters(api: TestClient, world: World) -> None:
    report = _get(api, "attribution", by="landing_page", created_from="2025-01-15")
    assert _rows(report)["(total)"] == (1, 0, 0, 0, {})
    assert _rows(report)["spring-form"] == (0, 0, 0, 0, {})
    owned = _get(api, "attribution", owner="bo@a.test")
    assert _rows(owned)["fall"] == (1, 1, 1, 0, {"USD": (2000.0, 1)})
    assert owned["filters"]["owner"] == "bo@a.test"


def test_cli_reports(cli: Any, world: World) -> None:
    result = cli("report", "attribution", "--by", "landing_page", "--json")
    assert result.exit_code == 0, result.output
    assert _rows(json.loads(result.stdout))["fall-form"] == (1, 1, 1, 0, {"USD": (2000.0, 1)})
    result = cli("report", "funnel", "--campaign", "spring", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 4
    table = cli("report", "funnel")
    assert table.exit_code == 0, table.output
    assert "opportunity" in table.stdout and "62.5%" in table.stdout
    table = cli("report", "attribution")
    assert table.exit_code == 0, table.output
    assert "spring" in table.stdout and "2,000.00 USD" in table.stdout


@pytest.mark.parametrize(("args", "words"), [
    (("attribution", "--by", "channel"), "by: must be one of"),
    (("funnel", "--campaign", "nope"), "campaign: no campaign 'nope'"),
    (("funnel", "--created-from", "yesterday"), "created_from"),
])
def test_cli_refuses_bad_options_in_one_line(cli: Any, world: World, args: tuple[str, ...],
                                             words: str) -> None:
    result = cli("report", *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error:") and words in result.stderr
    assert "Traceback" not in result.output


# --- Isolation, roles and bad parameters -------------------------------------------------------

def test_a_company_sees_none_of_another_companys_numbers(
    api: TestClient, db: Database, world: World, make_client_company: Any
) -> None:
    other = make_client_company("beta")
    with db.transaction() as session:
        records.create(session, other.company.id, BY_PATH["campaigns"],
                       BY_PATH["campaigns"].schema(key="spring", name="Beta spring"))
    funnel = api.get(f"{API}/reports/funnel", headers=other.headers).json()
    assert funnel["total"] == 0
    assert {s["reached"] for s in funnel["stages"]} == {0}
    report = api.get(f"{API}/reports/attribution", headers=other.headers).json()
    assert [(i["key"], i["name"], i["leads"]) for i in report["items"]] == [
        ("spring", "Beta spring", 0)]
    assert report["totals"]["revenue"] == []
    # Another company's campaign, named by id, is no campaign of this one.
    answer = api.get(f"{API}/reports/funnel", headers=other.headers,
                     params={"campaign": world.campaigns["fall"]})
    assert "campaign" in field_errors(answer)
    # The site admin may look at the client by naming it.
    named = api.get(f"{API}/reports/funnel", headers={"X-Company": "beta"}).json()
    assert named["total"] == 0


@pytest.mark.parametrize(("role", "status"), [("viewer", 200), ("sales", 200),
                                              ("marketer", 200), ("ingest", 403)])
def test_every_reading_role_may_read_reports(http: TestClient, site: Tenant, make_key: Any,
                                             role: str, status: int) -> None:
    key = make_key(site.company, role)
    for path in ("funnel", "attribution"):
        assert http.get(f"{API}/reports/{path}", headers=key.headers).status_code == status


@pytest.mark.parametrize(("path", "params", "field"), [
    ("attribution", {"by": "channel"}, "by"),
    ("funnel", {"campaign": "nope"}, "campaign"),
    ("funnel", {"program": "nope"}, "program"),
    ("funnel", {"owner": "ghost@a.test"}, "owner"),
    ("funnel", {"created_from": "yesterday"}, "created_from"),
    ("funnel", {"created_to": "2025-02-30"}, "created_to"),
    ("attribution", {"created_from": "2025-03-01", "created_to": "2025-02-01"}, "created_to"),
    ("funnel", {"campaign": "sp\x00ring"}, "campaign"),
])
def test_bad_parameters_are_422_naming_the_parameter(
    api: TestClient, world: World, path: str, params: dict[str, str], field: str
) -> None:
    answer = api.get(f"{API}/reports/{path}", params=params)
    errors = field_errors(answer)
    assert any(field in name for name in errors), errors


def test_reports_need_a_key(http: TestClient) -> None:
    problem(http.get(f"{API}/reports/funnel"), 401)


def test_openapi_documents_the_report_shapes(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    funnel = spec["paths"][f"{API}/reports/funnel"]["get"]
    assert funnel["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Funnel"}
    schemas = spec["components"]["schemas"]
    assert {"Funnel", "Attribution", "Outcome", "StageTime", "Timeline"} <= set(schemas)
    parameters = {p["name"]: p for p in spec["paths"][f"{API}/reports/attribution"]["get"][
        "parameters"]}
    assert {"by", "campaign", "program", "owner", "created_from", "created_to"} <= set(parameters)


def test_reports_and_timeline_follow_the_life_cycle_actions(api: TestClient, db: Database,
                                                            site: Tenant) -> None:
    """Through the real REST actions rather than rows written by the test."""
    for path, body in (("campaigns", {"key": "spring", "name": "Spring"}),
                       ("contacts", {"email": "ana@x.test"}), ("contacts", {"email": "bo@x.test"})):
        assert api.post(f"{API}/{path}", json=body).status_code == 201
    ids = [api.post(f"{API}/leads", json={"contact_email": email, "campaign": "spring"}).json()[
        "id"] for email in ("ana@x.test", "bo@x.test")]

    def act(lead: int, action: str, **body: Any) -> None:
        answer = api.post(f"{API}/leads/{lead}/actions/{action}", json=body)
        assert answer.status_code == 200, answer.text

    for action in ("promote", "accept"):
        act(ids[0], action)
    act(ids[0], "convert", opportunity={"estimated_revenue": 1234.5, "currency": "EUR"})
    act(ids[0], "win")
    act(ids[1], "promote")
    act(ids[1], "reject", reason="Student")
    funnel = _get(api, "funnel")
    assert _by_stage(funnel["stages"], "reached") == {
        "nurture": 2, "sales_ready": 2, "accepted": 1, "qualified": 1, "opportunity": 1,
        "won": 1, "lost": 0}
    stays = {s["stage"]: s["stays"] for s in funnel["time_in_stage"]}
    assert stays == {"nurture": 2, "sales_ready": 2, "accepted": 1, "qualified": 0,
                     "opportunity": 1}
    spring = _rows(_get(api, "attribution"))["spring"]
    assert spring == (2, 2, 1, 0, {"EUR": (1234.5, 1)})
    kinds = [i["kind"] for i in api.get(f"{API}/leads/{ids[0]}/timeline").json()["items"]]
    assert kinds.count("stage_change") == 4 and kinds.count("opportunity") == 1
    assert kinds[-1] == "created"
