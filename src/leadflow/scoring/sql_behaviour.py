"""Behaviour conditions as set-based SQL: how many interactions each condition counts per lead.

One pass over the interactions counts, for every behaviour condition of the model at once
(`COUNT(*) FILTER`), the matching interactions per contact and per marketing context
(campaign, program, the campaign's program). Leads then add up the groups of their contacts
(the lead's contact, or every contact of an account-scope lead's account) whose context fits
the lead (docs/scoring-language.md §6.4). Leads with a `behavior_since` cut-off (recycled
leads, few) add up groups of their own: per contact, cut-off moment and context, read by index
from the interactions since that moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    Column,
    FromClause,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement

from leadflow.scoring.model import Condition
from leadflow.scoring.schema import Schema
from leadflow.scoring.sql_exprs import condition_matches
from leadflow.scoring.sql_paths import Joiner
from leadflow.scoring.sql_sources import SqlSources
from leadflow.scoring.values import midnight_utc

Sql = ColumnElement[Any]


@dataclass(frozen=True)
class BehaviourCounts:
    """A CTE with one row per lead that has counted interactions: `lead_id`, one count column
    per behaviour condition (`names[cond]`) and, for conditions with a `{days}` window, the
    moment of the earliest counted interaction (`<name>_first`): the first to expire."""

    table: CTE
    names: dict[Condition, str]

    def count(self, cond: Condition) -> Sql:
        """The count of `cond` for the lead joined on `lead_id` (0 without a row)."""
        return func.coalesce(self.table.c[self.names[cond]], 0)

    def first(self, cond: Condition) -> Sql:
        """The earliest counted interaction of a `{days}`-window condition (NULL: none)."""
        return self.table.c[f"{self.names[cond]}_first"]


def _expires(cond: Condition) -> bool:
    """Counts of `cond` change with time alone: its window is a number of days."""
    return cond.window is not None and cond.window.days is not None


def _counting_key(cond: Condition) -> Condition:
    """What decides which interactions match, regardless of context and frequency."""
    return replace(cond, frequency="at_least", count=1, context="lead")


def behaviour_counts(
    sources: SqlSources,
    schema: Schema,
    lead_where: Sequence[ColumnElement[bool]],
    lead_scope: str,
    conditions: Sequence[Condition],
    as_of: datetime,
    expiry: bool = False,
) -> BehaviourCounts | None:
    """Counts of every behaviour condition in `conditions` per lead (None when there are none);
    with `expiry`, also the earliest counted interaction of each `{days}`-window condition."""
    conditions = list(dict.fromkeys(c for c in conditions if c.is_behaviour))
    if not conditions:
        return None
    names = {c: f"n{i}" for i, c in enumerate(conditions)}
    pairs = _LeadContacts(sources, lead_where, lead_scope)
    tracked = {c for c in conditions if expiry and _expires(c)}
    parts = [_from_contact_groups(sources, schema, pairs, conditions, names, as_of, tracked)]
    if sources.behavior_since is not None:
        parts.append(_from_contact_groups(sources, schema, pairs, conditions, names, as_of,
                                          tracked, recycled=True))
    query = parts[0].union_all(*parts[1:]) if len(parts) > 1 else parts[0]
    return BehaviourCounts(query.cte("behaviour"), names)


@dataclass(frozen=True)
class _LeadContacts:
    """(lead, contact) pairs: a lead's own contact, or every contact of an account-scope
    lead's account; with the lead's context and cut-off."""

    sources: SqlSources
    lead_where: Sequence[ColumnElement[bool]]
    lead_scope: str

    def query(self, recycled: bool | None = None) -> Any:
        """The pairs of every lead, or only of leads with (True) or without (False) a cut-off.

        Built from the tables each time rather than shared as a CTE, so that the planner sees
        real statistics (recycled leads are few: their interactions are read by index)."""
        sources, leads, contacts = self.sources, self.sources.leads, self.sources.contacts
        extra: list[Sql] = [leads.c.campaign_id.label("campaign_id"),
                            leads.c.program_id.label("program_id")]
        where = list(self.lead_where)
        since = sources.behavior_since
        if since is not None:
            extra.append(since.label("since"))
            if recycled is not None:
                where.append(since.is_not(None) if recycled else since.is_(None))
        parts = []
        if self.lead_scope != "account":
            parts.append(
                select(leads.c.id.label("lead_id"), leads.c.contact_id.label("contact_id"),
                       *extra)
                .where(*where, leads.c.scope != "account", leads.c.contact_id.is_not(None))
            )
        if self.lead_scope != "contact":
            on = and_(contacts.c.account_id == leads.c.account_id,
                      contacts.c.company_id == sources.company_id)
            parts.append(
                select(leads.c.id.label("lead_id"), contacts.c.id.label("contact_id"), *extra)
                .select_from(leads.join(contacts, on))
                .where(*where, leads.c.scope == "account")
            )
        return parts[0].union_all(*parts[1:]) if len(parts) > 1 else parts[0]


def _matches(
    joiner: Joiner, interactions: FromClause, cond: Condition, schema: Schema, as_of: datetime
) -> ColumnElement[bool]:
    """One interaction matches `cond`: its type, window, hops and `where` (not its context)."""
    entity = schema.entity(cond.root)
    assert entity is not None and entity.type_key is not None
    occurred = interactions.c.occurred_at
    parts: list[ColumnElement[bool]] = [interactions.c.type == entity.type_key]
    window = cond.window
    if window is not None and window.days is not None:
        parts.append(occurred > literal(as_of - timedelta(days=window.days), occurred.type))
    if window is not None and window.since is not None:
        parts.append(occurred >= literal(midnight_utc(window.since), occurred.type))
    if cond.hops or cond.where:  # else: the interaction itself, which exists
        path = ("i", *cond.hops)
        parts.append(condition_matches(joiner, path, cond, as_of,
                                       None if cond.hops else cond.root))
    return and_(*parts)


def _base_filter(
    sources: SqlSources, schema: Schema, interactions: FromClause,
    conditions: Sequence[Condition], as_of: datetime,
) -> list[ColumnElement[bool]]:
    """Interactions that could count at all: this company, not after as_of, of a type some
    condition counts and, for a type whose every condition has a window, not before the
    earliest of those windows (most of a year of history is outside a 30-day window: those
    rows are dropped by the scan instead of reaching the aggregate)."""
    occurred = interactions.c.occurred_at
    starts = _type_starts(schema, conditions, as_of)
    unbounded = [key for key, start in starts if start is None]
    by_type: list[ColumnElement[bool]] = [interactions.c.type.in_(unbounded)] if unbounded else []
    by_type += [and_(interactions.c.type == key, occurred >= literal(start, occurred.type))
                for key, start in starts if start is not None]
    return [*_of_company(sources, interactions, as_of), or_(*by_type)]


def _of_company(sources: SqlSources, interactions: FromClause, as_of: datetime
                ) -> list[ColumnElement[bool]]:
    """The company's interactions of a contact, not after as_of."""
    occurred = interactions.c.occurred_at
    return [interactions.c.company_id == sources.company_id,
            interactions.c.contact_id.is_not(None), occurred <= literal(as_of, occurred.type)]


def _type_starts(schema: Schema, conditions: Sequence[Condition], as_of: datetime
                 ) -> list[tuple[str, datetime | None]]:
    """Each interaction type some condition counts, with the earliest moment any of them
    counts from (None: one has no window), by type key."""
    starts: dict[str, list[datetime | None]] = {}
    for cond in conditions:
        starts.setdefault(_type_key(schema, cond), []).append(_window_start(cond, as_of))
    return [(key, None if None in moments else min(m for m in moments if m is not None))
            for key, moments in sorted(starts.items())]


def _by_type(sources: SqlSources, schema: Schema, keys: Sequence[Condition], as_of: datetime
             ) -> FromClause:
    """The company's interactions that some key could count, as one SELECT per type over the
    window of that type (`SqlSources.scan_by_type`). Each reads only the columns its type's
    keys read, the others are NULL: on PostgreSQL a type whose keys read no more than the
    columns of ix_interactions_type_time is read from that index alone, from its window on."""
    table = sources.interactions
    base = {"type", "occurred_at", "contact_id", "campaign_id", "program_id"}
    read: dict[str, set[str]] = {}
    for key in keys:
        probe = table.alias("probe")
        joiner = Joiner(sources, schema, probe, key.root, label="i")
        match = _matches(joiner, probe, key, schema, as_of)
        read.setdefault(_type_key(schema, key), set(base)).update(
            column.name for clause in (match, joiner.from_clause)
            for column in visitors.iterate(clause)
            if isinstance(column, Column) and column.table is probe)
    columns = [c for c in table.c if c.name in set().union(*read.values())]
    occurred = table.c.occurred_at
    branches = []
    for type_key, start in _type_starts(schema, keys, as_of):
        where = [*_of_company(sources, table, as_of), table.c.type == type_key]
        if start is not None:
            where.append(occurred >= literal(start, occurred.type))
        branches.append(select(*(c if c.name in read[type_key] else _null_of(c)
                                 for c in columns)).where(*where))
    typed = union_all(*branches) if len(branches) > 1 else branches[0]
    return typed.subquery("i")


def _null_of(column: ColumnElement[Any]) -> Sql:
    """NULL in place of `column` in one SELECT of a UNION ALL: of the column's type, so that
    PostgreSQL reads the union as one append of its parts (parallel, unused columns never
    read), and without a length (a VARCHAR(2000) NULL makes it take every row for that wide
    and sort where it would hash)."""
    type_ = String() if isinstance(column.type, String) else column.type
    return cast(null(), type_).label(column.key)


def _window_start(cond: Condition, as_of: datetime) -> datetime | None:
    """A moment no counted interaction of `cond` is before (None: no window)."""
    window = cond.window
    if window is not None and window.days is not None:
        return as_of - timedelta(days=window.days)
    if window is not None and window.since is not None:
        return midnight_utc(window.since)
    return None


def _type_key(schema: Schema, cond: Condition) -> str:
    entity = schema.entity(cond.root)
    assert entity is not None and entity.type_key is not None
    return entity.type_key


def _in_context(
    lead_campaign: Sql, lead_program: Sql, campaign: Sql, program: Sql, via_program: Sql
) -> ColumnElement[bool]:
    """The `context: lead` rule (NULL, i.e. false, when the interaction does not count)."""
    return or_(
        and_(campaign.is_(None), program.is_(None)),
        and_(lead_campaign.is_(None), lead_program.is_(None)),
        and_(lead_campaign.is_not(None), campaign == lead_campaign),
        and_(lead_campaign.is_(None), or_(program == lead_program, via_program == lead_program)),
    )


def _from_contact_groups(
    sources: SqlSources,
    schema: Schema,
    pairs: _LeadContacts,
    conditions: Sequence[Condition],
    names: dict[Condition, str],
    as_of: datetime,
    tracked: set[Condition],
    recycled: bool = False,
) -> Any:
    """Counts per lead from per-contact, per-context groups of interactions. For leads with a
    cut-off (`recycled`), each group also has a cut-off: the interactions of one contact since
    one moment, counted once however many leads share that contact and moment (the leads of
    one account recycled together)."""
    keys = list(dict.fromkeys(_counting_key(c) for c in conditions))
    tracked_keys = {_counting_key(c) for c in tracked}
    by_context = any(c.context == "lead" for c in conditions)
    lc = pairs.query(recycled=recycled).subquery("recycled_contacts" if recycled
                                                  else "lead_contacts")
    groups = _contact_groups(sources, schema, pairs, keys, tracked_keys, as_of, by_context,
                             lc if recycled else None)
    on = groups.c.contact_id == lc.c.contact_id
    if recycled:
        on = and_(on, groups.c.since == lc.c.since)
    pair_from = lc.join(groups, on)
    context: Sql = literal(True)
    if by_context:
        via = sources.campaigns.alias("via_campaign")
        pair_from = pair_from.outerjoin(via, via.c.id == groups.c.campaign_id)
        context = _in_context(lc.c.campaign_id, lc.c.program_id, groups.c.campaign_id,
                              groups.c.program_id, via.c.program_id)
    pair = (select(lc.c.lead_id, context.label("in_context"),
                   *[groups.c[f"k{i}"] for i in range(len(keys))],
                   *[groups.c[f"f{i}"] for i, k in enumerate(keys) if k in tracked_keys])
            .select_from(pair_from)
            .subquery("recycled_pairs" if recycled else "pairs"))
    key_index = {k: i for i, k in enumerate(keys)}
    columns = []
    for cond in conditions:
        count = pair.c[f"k{key_index[_counting_key(cond)]}"]
        counted = case((pair.c.in_context, count), else_=0) if cond.context == "lead" else count
        columns.append(cast(func.sum(counted), Integer).label(names[cond]))
        if cond in tracked:
            first: Sql = pair.c[f"f{key_index[_counting_key(cond)]}"]
            if cond.context == "lead":
                first = case((pair.c.in_context, first), else_=null())
            columns.append(func.min(first).label(f"{names[cond]}_first"))
    return select(pair.c.lead_id, *columns).group_by(pair.c.lead_id)


def _contact_groups(
    sources: SqlSources,
    schema: Schema,
    pairs: _LeadContacts,
    keys: list[Condition],
    tracked_keys: set[Condition],
    as_of: datetime,
    by_context: bool,
    cut_offs: FromClause | None,
) -> CTE:
    """One row per contact (and cut-off moment, with `cut_offs`: pairs with a `since`) and
    marketing context: how many of its interactions match each counting key (`k<i>`) and,
    for tracked keys, the earliest that does (`f<i>`)."""
    interactions: FromClause
    if cut_offs is None and sources.lead_filter is None and sources.scan_by_type:
        interactions, where = _by_type(sources, schema, keys, as_of), []
    else:
        interactions = sources.interactions.alias("ri" if cut_offs is not None else "i")
        where = _base_filter(sources, schema, interactions, keys, as_of)
    group_by: list[Sql] = [interactions.c.contact_id]
    start: FromClause = interactions
    if cut_offs is not None:  # each contact and cut-off once, however many leads share them
        moments = select(cut_offs.c.contact_id, cut_offs.c.since).distinct().subquery("cut_offs")
        start = moments.join(interactions, interactions.c.contact_id == moments.c.contact_id)
        where.append(interactions.c.occurred_at >= moments.c.since)
        group_by.append(moments.c.since)
    elif sources.lead_filter is not None:
        scored = pairs.query().subquery("scored_contacts")
        where.append(interactions.c.contact_id.in_(select(scored.c.contact_id)))
    if by_context:  # the campaign's program is looked up per group, not per row
        group_by += [interactions.c.campaign_id, interactions.c.program_id]
    joiner = Joiner(sources, schema, interactions, keys[0].root, label="i", from_clause=start)
    # INTEGER counts: summed per lead, a sum of BIGINT would be NUMERIC (slow, wide).
    counts = [cast(func.count().filter(_matches(joiner, interactions, k, schema, as_of)),
                   Integer).label(f"k{i}")
              for i, k in enumerate(keys)]
    counts += [func.min(interactions.c.occurred_at)
               .filter(_matches(joiner, interactions, k, schema, as_of)).label(f"f{i}")
               for i, k in enumerate(keys) if k in tracked_keys]
    name = "cut_off_groups" if cut_offs is not None else "contact_groups"
    # MATERIALIZED: aggregate the interactions on their own (one scan, hash aggregate); left
    # to itself the planner may walk an index in contact order instead, far slower.
    return (select(*group_by, *counts).select_from(joiner.from_clause).where(*where)
            .group_by(*group_by).cte(name).prefix_with("MATERIALIZED"))
