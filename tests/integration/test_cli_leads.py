"""`leadflow leads list|show`: filters, search, sort, paging, detail, and company isolation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from leadflow import schemas
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import records
from leadflow.services.resources import ACCOUNTS, CAMPAIGNS, CONTACTS, LEADS, USERS
from tests.conftest import Tenant


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _failed(result: Any, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error:")
    for word in words:
        assert word in result.stderr, result.stderr


@dataclass
class World:
    ana: int
    bo: int
    acme: int


def _make_world(db: Database, company_id: int) -> World:
    """Two campaigns, an account with a contact, a contact alone, a sales user, three leads."""
    with db.transaction() as session:
        def add(resource: Any, data: schemas.Input) -> Any:
            return records.create(session, company_id, resource, data)

        add(CAMPAIGNS, schemas.CampaignIn(key="spring", name="Spring webinar"))
        add(CAMPAIGNS, schemas.CampaignIn(key="fall", name="Fall summit"))
        add(ACCOUNTS, schemas.AccountIn(name="Acme Corp", domain="acme.test",
                                        industry="Software", employees=500))
        add(CONTACTS, schemas.ContactIn(email="ana@acme.test", first_name="Ana",
                                        last_name="Lima", city="Chicago",
                                        account_domain="acme.test"))
        add(CONTACTS, schemas.ContactIn(email="bo@solo.test", first_name="Bo"))
        add(USERS, schemas.UserIn(email="sam@site.test", role="sales"))
        ana = add(LEADS, schemas.LeadIn(contact_email="ana@acme.test", campaign="spring",
                                        owner="sam@site.test", status="Working"))
        bo = add(LEADS, schemas.LeadIn(contact_email="bo@solo.test", campaign="fall",
                                       priority="high"))
        acme = add(LEADS, schemas.LeadIn(scope="account", account_domain="acme.test",
                                         territory="west"))
        bo.stage = "sales_ready"  # no life-cycle service yet; the stage is set directly
        return World(ana.id, bo.id, acme.id)


@pytest.fixture
def world(db: Database, site: Tenant) -> World:
    return _make_world(db, site.company.id)


def _ids(result: Any) -> list[int]:
    return [item["id"] for item in _json(result)["items"]]


class TestList:
    def test_lists_every_lead_with_references_by_key(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        page = _json(cli("leads", "list", "--json"))
        assert page["next_cursor"] is None
        by_id = {item["id"]: item for item in page["items"]}
        assert list(by_id) == [world.ana, world.bo, world.acme]
        ana = by_id[world.ana]
        assert (ana["name"], ana["campaign"], ana["owner"]) == (
            "Ana Lima - Spring webinar", "spring", "sam@site.test"
        )
        assert ana["contact_email"] == "ana@acme.test"
        assert ana["account_domain"] == "acme.test"

    @pytest.mark.parametrize(("args", "expected"), [
        (("--stage", "sales_ready"), ["bo"]),
        (("--stage", "nurture"), ["ana", "acme"]),
        (("--owner", "SAM@site.test"), ["ana"]),
        (("--campaign", "fall"), ["bo"]),
        (("--q", "west"), ["acme"]),
        (("--q", "working"), ["ana"]),
        (("--stage", "nurture", "--campaign", "spring"), ["ana"]),
        (("--stage", "won"), []),
    ])
    def test_filters_and_search(  # type: ignore[no-untyped-def]
        self, cli, world: World, args: tuple[str, ...], expected: list[str]
    ) -> None:
        assert _ids(cli("leads", "list", *args, "--json")) == [
            getattr(world, name) for name in expected
        ]

    def test_sorts_either_way(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        assert _ids(cli("leads", "list", "--sort", "-id", "--json")) == [
            world.acme, world.bo, world.ana
        ]
        assert _ids(cli("leads", "list", "--sort", "priority", "--json"))[0] == world.bo

    def test_limit_and_cursor_page_through(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        first = _json(cli("leads", "list", "--limit", "2", "--json"))
        assert [i["id"] for i in first["items"]] == [world.ana, world.bo]
        second = _json(cli("leads", "list", "--limit", "2", "--cursor", first["next_cursor"],
                           "--json"))
        assert ([i["id"] for i in second["items"]], second["next_cursor"]) == ([world.acme], None)

    def test_table_shows_the_leads(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        result = cli("leads", "list", "--limit", "2")
        assert result.exit_code == 0, result.output
        assert "spring" in result.stdout and "sales_ready" in result.stdout
        assert "--cursor" in result.stdout

    def test_brackets_in_lead_data_print_as_typed(  # type: ignore[no-untyped-def]
        self, cli, db: Database, site: Tenant, world: World
    ) -> None:
        with db.transaction() as session:
            lead = records.get(session, site.company.id, LEADS, world.ana)
            lead.status = "[/][b]VIP"
        listed = cli("leads", "list")
        assert listed.exit_code == 0, listed.output
        assert "[/][b]" in listed.stdout  # the narrow test terminal shortens the rest
        shown = cli("leads", "show", str(world.ana))
        assert shown.exit_code == 0, shown.output
        assert "[/][b]VIP" in shown.stdout

    def test_says_when_nothing_matches(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        result = cli("leads", "list", "--stage", "lost")
        assert result.exit_code == 0, result.output
        assert "No leads" in result.stdout

    def test_a_company_sees_only_its_own_leads(  # type: ignore[no-untyped-def]
        self, cli, db: Database, world: World, make_client_company
    ) -> None:
        acme = make_client_company("acme")
        _make_world(db, acme.company.id)
        own = _ids(cli("leads", "list", "--company", "acme", "--json"))
        assert len(own) == 3 and not set(own) & {world.ana, world.bo, world.acme}
        # The site's campaign key names acme's own campaign there, never the site's.
        assert len(_ids(cli("leads", "list", "--company", "acme", "--campaign", "spring",
                            "--json"))) == 1

    @pytest.mark.parametrize(("args", "words"), [
        (("--stage", "hot"), ("stage must be one of", "nurture", "'hot'")),
        (("--owner", "nobody@site.test"), ("no user 'nobody@site.test'",)),
        (("--campaign", "winter"), ("no campaign 'winter'",)),
        (("--sort", "colour"), ("cannot sort by 'colour'",)),
        (("--limit", "0"), ("limit", "1 to 500")),
        (("--cursor", "garbage!"), ("cursor is not valid",)),
        (("--company", "nope"), ("no company 'nope'",)),
    ])
    def test_mistakes_are_named(  # type: ignore[no-untyped-def]
        self, cli, world: World, args: tuple[str, ...], words: tuple[str, ...]
    ) -> None:
        _failed(cli("leads", "list", *args), *words)


class TestShow:
    def test_json_has_every_field_and_the_contact_and_account(  # type: ignore[no-untyped-def]
        self, cli, world: World
    ) -> None:
        shown = _json(cli("leads", "show", str(world.ana), "--json"))
        lead_columns = {c.name for c in t.Lead.__table__.columns} - {"company_id", *LEADS.hidden}
        assert lead_columns <= set(shown)
        assert (shown["stage"], shown["status"], shown["owner"]) == (
            "nurture", "Working", "sam@site.test"
        )
        assert shown["contact"]["email"] == "ana@acme.test"
        assert shown["contact"]["first_name"] == "Ana"
        assert shown["contact"]["account_domain"] == "acme.test"
        assert shown["account"]["name"] == "Acme Corp"
        assert shown["account"]["employees"] == 500

    def test_account_lead_has_no_contact(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        shown = _json(cli("leads", "show", str(world.acme), "--json"))
        assert shown["scope"] == "account"
        assert shown["contact"] is None
        assert shown["account"]["domain"] == "acme.test"

    def test_contact_without_account(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        shown = _json(cli("leads", "show", str(world.bo), "--json"))
        assert shown["account"] is None
        assert shown["contact"]["email"] == "bo@solo.test"

    def test_table_shows_lead_contact_and_account(self, cli, world: World) -> None:  # type: ignore[no-untyped-def]
        result = cli("leads", "show", str(world.ana))
        assert result.exit_code == 0, result.output
        for text in (f"Lead {world.ana}", "Ana Lima - Spring webinar", "Contact",
                     "ana@acme.test", "Account", "Acme Corp"):
            assert text in result.stdout

    @pytest.mark.parametrize("ident", ["9999", "abc", "99999999999999999999"])
    def test_unknown_lead_is_named(self, cli, world: World, ident: str) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("leads", "show", ident), f"no lead '{ident}'")

    def test_lead_of_another_company_is_not_found(  # type: ignore[no-untyped-def]
        self, cli, world: World, make_client_company
    ) -> None:
        make_client_company("acme")
        _failed(cli("leads", "show", str(world.ana), "--company", "acme"),
                f"no lead '{world.ana}'")
