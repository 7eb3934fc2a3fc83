"""Writing a generated world as real rows of a fresh company, reading it back as the
evaluator's LeadFacts, and scoring it both ways (in memory and with the compiled SQL).

Callers do all of it in one transaction and roll it back: that is the clean-up per example."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import FromClause, literal, select, union_all
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.scoring import LeadFacts, ScoringModel, applies, evaluate
from leadflow.scoring.schema import Schema
from leadflow.scoring.sql import SqlSources, compile_model

from .strategies_db import CAMPAIGN_KEYS, PROGRAM_KEYS, World

_companies = itertools.count(1)
Record = dict[str, Any]
Result = tuple[int, str | None, bool, tuple[int, ...], datetime | None]


@dataclass(frozen=True)
class Written:
    """A world written to the database: its company and the ids of its rows."""

    company_id: int
    lead_ids: list[int]
    adjustments: list[tuple[int, int]]  # (lead id, points)
    recycle_resets: bool


def write_world(session: Session, world: World) -> Written:
    """Insert `world` as the rows of a new company."""
    company = t.Company(key=f"parity-{next(_companies)}-{id(world)}", name="Parity")
    session.add(company)
    session.flush()
    cid = company.id
    programs = {k: t.Program(company_id=cid, key=k, name=k.upper()) for k in PROGRAM_KEYS}
    _flush(session, programs.values())
    via = {"c1": programs["p1"].id, "c2": programs["p2"].id, "c3": None}
    campaigns = {k: t.Campaign(company_id=cid, key=k, name=k.title(), program_id=via[k])
                 for k in CAMPAIGN_KEYS}
    email = t.MarketingEmail(company_id=cid, key="invite", name="Invite",
                             subject="Join us in Chicago")
    page = t.LandingPage(company_id=cid, key="form", name="Form", url="https://acme.test/pricing")
    event = t.Event(company_id=cid, key="summit", name="Summit")
    owner = t.User(company_id=cid, email="ana@acme.test", name="Ana", role="sales")
    _flush(session, [*campaigns.values(), email, page, event, owner])
    accounts = [t.Account(company_id=cid, **_columns(a, "parent")) for a in world.accounts]
    _flush(session, accounts)
    for row, data in zip(accounts, world.accounts, strict=True):
        if data["parent"] is not None:
            row.parent_id = accounts[data["parent"]].id
    contacts = [t.Contact(company_id=cid, account_id=_id(accounts, c["account"]),
                          **_columns(c, "account")) for c in world.contacts]
    _flush(session, contacts)
    leads = [t.Lead(
        company_id=cid,
        contact_id=_id(contacts, lead["contact"]),
        account_id=_id(accounts, lead["account"]),
        campaign_id=campaigns[lead["campaign"]].id if lead["campaign"] else None,
        program_id=programs[lead["program"]].id if lead["program"] else None,
        owner_id=owner.id if lead["owner"] else None,
        **_columns(lead, "contact", "account", "campaign", "program", "owner"),
    ) for lead in world.leads]
    _flush(session, leads)
    session.add_all(t.Interaction(
        company_id=cid,
        contact_id=_id(contacts, i["contact"]),
        account_id=_id(accounts, i["account"]),
        campaign_id=campaigns[i["campaign"]].id if i["campaign"] else None,
        program_id=programs[i["program"]].id if i["program"] else None,
        email_id=email.id if i["email"] else None,
        landing_page_id=page.id if i["landing_page"] else None,
        event_id=event.id if i["event"] else None,
        **_columns(i, "contact", "account", "campaign", "program", "email", "landing_page",
                   "event"),
    ) for i in world.interactions)
    session.flush()
    lead_ids = [lead.id for lead in leads]
    adjustments = [(lead_ids[i], points) for i, points in world.adjustments]
    session.expunge_all()  # so that reading back really reads the rows
    return Written(cid, lead_ids, adjustments, world.recycle_resets)


def _flush(session: Session, rows: Iterable[t.Base]) -> None:
    session.add_all(list(rows))
    session.flush()


def _columns(data: Record, *relations: str) -> Record:
    return {k: v for k, v in data.items() if k not in relations}


def _id(rows: list[Any], index: int | None) -> int | None:
    return None if index is None else int(rows[index].id)


# ------------------------------------------------------------------------ reading facts back


def _records(session: Session, table: type[t.Base], company_id: int) -> dict[int, Record]:
    """Every row of the company as a record: its columns, its custom fields flattened."""
    out: dict[int, Record] = {}
    for row in session.scalars(select(table).where(table.company_id == company_id)):  # type: ignore[attr-defined]
        record = {c.key: getattr(row, c.key) for c in table.__table__.columns}  # type: ignore[attr-defined]
        record.update(record.pop("custom", None) or {})
        out[record["id"]] = record
    return out


def _link(records: dict[int, Record], hop: str, targets: dict[int, Record]) -> None:
    for record in records.values():
        ref = record.get(f"{hop}_id")
        record[hop] = targets.get(ref) if ref is not None else None


def load_facts(session: Session, written: Written) -> dict[int, LeadFacts]:
    """The evaluator's facts for every lead of the company, read from the database."""
    cid = written.company_id
    tables = {name: _records(session, table, cid) for name, table in (
        ("programs", t.Program), ("campaigns", t.Campaign), ("emails", t.MarketingEmail),
        ("pages", t.LandingPage), ("events", t.Event), ("users", t.User),
        ("accounts", t.Account), ("contacts", t.Contact), ("leads", t.Lead),
    )}
    interactions = _records(session, t.Interaction, cid)
    _link(tables["campaigns"], "program", tables["programs"])
    _link(tables["accounts"], "parent", tables["accounts"])
    _link(tables["contacts"], "account", tables["accounts"])
    for hop, target in (("contact", "contacts"), ("account", "accounts"),
                        ("campaign", "campaigns"), ("program", "programs"),
                        ("owner", "users")):
        _link(tables["leads"], hop, tables[target])
    for hop, target in (("contact", "contacts"), ("account", "accounts"),
                        ("campaign", "campaigns"), ("program", "programs"),
                        ("email", "emails"), ("landing_page", "pages"), ("event", "events")):
        _link(interactions, hop, tables[target])
    for item in interactions.values():
        item["attr"] = item.pop("attributes")
    adjustments: dict[int, int] = {}
    for lead_id, points in written.adjustments:
        adjustments[lead_id] = adjustments.get(lead_id, 0) + points
    return {lead_id: _facts(lead, tables["contacts"], interactions, written.recycle_resets,
                            adjustments.get(lead_id, 0))
            for lead_id, lead in sorted(tables["leads"].items())}


def _facts(lead: Record, contacts: dict[int, Record], interactions: dict[int, Record],
           recycle_resets: bool, adjustment: int) -> LeadFacts:
    if lead["scope"] == "account":
        seen = [c for _, c in sorted(contacts.items())
                if lead["account_id"] is not None and c["account_id"] == lead["account_id"]]
    else:
        seen = [lead["contact"]] if lead["contact"] is not None else []
    ids = {c["id"] for c in seen}
    items = [i for _, i in sorted(interactions.items()) if i["contact_id"] in ids]
    since = lead["recycled_at"] if recycle_resets else None
    return LeadFacts(lead, seen, items, since, adjustment)


# --------------------------------------------------------------------------- scoring both ways


def sources_for(written: Written, as_of: datetime, lead_filter: Any = None,
                scan_by_type: bool = False) -> SqlSources:
    """The SQL sources of a written world (the real tables)."""
    leads = t.Lead.__table__
    return SqlSources(
        leads=leads, contacts=t.Contact.__table__, accounts=t.Account.__table__,
        campaigns=t.Campaign.__table__, programs=t.Program.__table__, users=t.User.__table__,
        landing_pages=t.LandingPage.__table__, events=t.Event.__table__,
        emails=t.MarketingEmail.__table__, interactions=t.Interaction.__table__,
        company_id=written.company_id, as_of=as_of,
        behavior_since=leads.c.recycled_at if written.recycle_resets else None,
        adjustments=_adjustments(written.adjustments), lead_filter=lead_filter,
        scan_by_type=scan_by_type,
    )


def _adjustments(rows: list[tuple[int, int]]) -> FromClause | None:
    if not rows:
        return None
    selects = [select(literal(lead).label("lead_id"), literal(points).label("adjustment"))
               for lead, points in rows]
    return union_all(*selects).subquery("manual")


def sql_results(session: Session, model: ScoringModel, sources: SqlSources,
                schema: Schema) -> dict[int, Result]:
    """lead id → (score, grade, sales_ready, fires per rule, next change) from the compiled
    query."""
    query = compile_model(model, sources, schema, explain=True, next_change=True)
    rows = session.execute(query).mappings().all()
    return {row["lead_id"]: (row["score"], row["grade"], row["sales_ready"],
                             tuple(row[f"fires_{i}"] for i in range(len(model.rules))),
                             row["next_change_at"])
            for row in rows}


def evaluated_results(model: ScoringModel, facts: dict[int, LeadFacts], as_of: datetime,
                      schema: Schema) -> dict[int, Result]:
    """The same from `evaluate()`, for the leads the model applies to."""
    out: dict[int, Result] = {}
    for lead_id, lead_facts in facts.items():
        if applies(model, lead_facts, as_of, schema=schema):
            result = evaluate(model, lead_facts, as_of, schema=schema)
            out[lead_id] = (result.score, result.grade, result.sales_ready,
                            tuple(r.fires for r in result.rules), result.next_change_at)
    return out
