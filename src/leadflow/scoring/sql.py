"""Compile a scoring model into one set-based SQL query that scores every lead of a company.

`compile_model(model, sources, schema)` returns a SQLAlchemy Core `Select` (CTEs inside) with
one row per lead the model applies to: `lead_id, score, grade, sales_ready` (with
`explain=True` also `adjustment`, `unbounded` and `fires_<i>` per rule). It runs on SQLite and
PostgreSQL and gives exactly what `evaluate()` gives (tests/parity/); the semantics are those
of docs/scoring-language.md §6.

The shape: behaviour conditions are counted in one pass over the interactions
(`sql_behaviour`); fixed conditions (`Lead…`, `Contact…`, `Account…`) are LEFT JOINs from the
lead (an account-scope lead's `Contact…` condition is an EXISTS over its account's contacts);
then each rule's fires, the clamped score, the grade and sales-ready are plain expressions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from leadflow.scoring.model import Bounds, Condition, Rule, ScoringModel
from leadflow.scoring.schema import BUILTIN_SCHEMA, Schema
from leadflow.scoring.sql_behaviour import BehaviourCounts, behaviour_counts
from leadflow.scoring.sql_exprs import condition_matches
from leadflow.scoring.sql_fence import fenced
from leadflow.scoring.sql_paths import Joiner
from leadflow.scoring.sql_sources import SqlSources
from leadflow.scoring.sql_time import earliest, plus_days
from leadflow.scoring.values import to_utc

__all__ = ["SqlSources", "compile_model", "scored_leads"]

Sql = ColumnElement[Any]


def compile_model(
    model: ScoringModel,
    sources: SqlSources,
    schema: Schema = BUILTIN_SCHEMA,
    *,
    explain: bool = False,
    next_change: bool = False,
    every_lead: bool = False,
) -> Select[Any]:
    """One query scoring every lead of `sources.company_id` that `model` applies to; with
    `next_change`, also `next_change_at`: when the score may next change with time alone (the
    first counted interaction to leave its `{days}` window), as `evaluate()` gives it.
    `every_lead`: the query will run over a whole company, so the score is computed once per
    lead in a subquery of its own (see `_scored`); for a few leads that costs more than it
    saves (measured on SQLite, rescoring batches of interactions)."""
    as_of = to_utc(sources.as_of)
    leads = sources.leads
    lead_where = _lead_where(model, sources)
    conditions = [c for rule in model.rules for c in rule.conditions]
    counts = behaviour_counts(sources, schema, lead_where, model.lead_scope, conditions, as_of,
                              expiry=next_change)
    fixed = _FixedConditions(sources, schema, model.lead_scope, as_of)
    audience = [fixed.holds(c) for c in model.audience]
    fires = [_rule_fires(rule, fixed, counts).label(f"fires_{i}")
             for i, rule in enumerate(model.rules)]
    from_clause = fixed.joiner.from_clause
    if counts is not None:
        from_clause = from_clause.outerjoin(counts.table, counts.table.c.lead_id == leads.c.id)
    adjustment: Sql = literal(0)
    if sources.adjustments is not None:
        adjustments = _summed(sources.adjustments)
        from_clause = from_clause.outerjoin(adjustments, adjustments.c.lead_id == leads.c.id)
        adjustment = func.coalesce(adjustments.c.adjustment, 0)
    extra = [_next_change(conditions, counts, leads).label("next_change_at")] if next_change else []
    rule_fires = (
        select(leads.c.id.label("lead_id"), cast(adjustment, Integer).label("adjustment"), *fires,
               *extra)
        .select_from(from_clause)
        .where(*lead_where, *audience)
        # MATERIALIZED: the score is read several times (clamp, grade, sales-ready); the
        # database would otherwise repeat every rule's expression for each read.
        .cte("rule_fires")
        .prefix_with("MATERIALIZED")
    )
    return _scored(model, rule_fires, explain, next_change, every_lead)


def scored_leads(model: ScoringModel, sources: SqlSources, schema: Schema = BUILTIN_SCHEMA
                 ) -> Select[Any] | None:
    """The ids of the leads `compile_model` gives a row for (its lead scope, audience and
    `sources.lead_filter`), without scoring them; None when that is every lead the filter
    lets through (no audience, any scope)."""
    if model.lead_scope == "any" and not model.audience:
        return None
    fixed = _FixedConditions(sources, schema, model.lead_scope, to_utc(sources.as_of))
    audience = [fixed.holds(c) for c in model.audience]  # before reading the joins they add
    return (select(sources.leads.c.id).select_from(fixed.joiner.from_clause)
            .where(*_lead_where(model, sources), *audience))


def _lead_where(model: ScoringModel, sources: SqlSources) -> list[ColumnElement[bool]]:
    leads = sources.leads
    where: list[ColumnElement[bool]] = [leads.c.company_id == sources.company_id]
    if model.lead_scope != "any":
        where.append(leads.c.scope == model.lead_scope)
    if sources.lead_filter is not None:
        where.append(sources.lead_filter)
    return where


def _next_change(conditions: list[Condition], counts: BehaviourCounts | None,
                 leads: FromClause) -> Sql:
    """The earliest moment a counted interaction leaves its `{days}` window (NULL: never)."""
    expiring = [c for c in dict.fromkeys(conditions) if c.is_behaviour and c.window is not None
                and c.window.days is not None]
    if counts is None or not expiring:
        return cast(null(), leads.c.created_at.type)  # a typed NULL: PostgreSQL would say text
    assert all(c.window is not None and c.window.days is not None for c in expiring)
    return earliest(*(plus_days(counts.first(c), c.window.days)  # type: ignore[union-attr,arg-type]
                      for c in expiring))


def _summed(adjustments: FromClause) -> FromClause:
    """Manual adjustments, one row per lead."""
    return (
        select(adjustments.c.lead_id, func.sum(adjustments.c.adjustment).label("adjustment"))
        .group_by(adjustments.c.lead_id)
        .subquery("adjustments")
    )


class _FixedConditions:
    """Fixed conditions as SQL over the lead (one FROM clause of LEFT JOINs from `leads`)."""

    def __init__(
        self, sources: SqlSources, schema: Schema, lead_scope: str, as_of: datetime
    ) -> None:
        self.sources = sources
        self.schema = schema
        self.lead_scope = lead_scope
        self.as_of = as_of
        self.joiner = Joiner(sources, schema, sources.leads, "Lead", label="Lead")
        self._has_account_root = False

    def holds(self, cond: Condition) -> ColumnElement[bool]:
        """True when the fixed condition `cond` holds for the lead (docs §6.3)."""
        if cond.root == "Lead":
            return condition_matches(self.joiner, ("Lead", *cond.hops), cond, self.as_of)
        if cond.root == "Account":
            account = self._account_root()
            path = ("Account", *cond.hops)
            return and_(account.c.id.is_not(None),
                        condition_matches(self.joiner, path, cond, self.as_of))
        return self._any_contact(cond)

    def _account_root(self) -> FromClause:
        """The lead's account: a contact-scope lead's contact's account, else the lead's."""
        if not self._has_account_root:
            leads = self.sources.leads
            contact, _ = self.joiner.reach(("Lead", "contact"))
            account_id = func.coalesce(
                case((leads.c.scope == "contact", contact.c.account_id)), leads.c.account_id
            )
            self.joiner.add_root("Account", "Account", lambda a: a.c.id == account_id)
            self._has_account_root = True
        alias, _ = self.joiner.reach(("Account",))
        return alias

    def _any_contact(self, cond: Condition) -> ColumnElement[bool]:
        """`Contact…`: the lead's contact matches; for an account-scope lead, any contact of
        its account does."""
        leads = self.sources.leads
        options: list[ColumnElement[bool]] = []
        if self.lead_scope != "account":
            contact, _ = self.joiner.reach(("Lead", "contact"))
            own = condition_matches(self.joiner, ("Lead", "contact", *cond.hops), cond,
                                    self.as_of)
            options.append(and_(leads.c.scope != "account", contact.c.id.is_not(None), own))
        if self.lead_scope != "contact":
            options.append(and_(leads.c.scope == "account", self._account_contact(cond)))
        return or_(*options)

    def _account_contact(self, cond: Condition) -> ColumnElement[bool]:
        """EXISTS a contact of the lead's account matching `cond`."""
        leads = self.sources.leads
        contacts = self.sources.contacts.alias()
        joiner = Joiner(self.sources, self.schema, contacts, "Contact", label="Contact")
        match = condition_matches(joiner, ("Contact", *cond.hops), cond, self.as_of)
        return (
            select(literal(1))
            .select_from(joiner.from_clause)
            .where(contacts.c.company_id == self.sources.company_id,
                   contacts.c.account_id == leads.c.account_id, match)
            .correlate(leads)
            .exists()
        )


def _rule_fires(rule: Rule, fixed: _FixedConditions, counts: BehaviourCounts | None) -> Sql:
    """How often `rule` fires: 0 unless every condition holds; else its EACH count (or 1),
    capped at its limit."""
    held: list[ColumnElement[bool]] = []
    each: Sql = literal(1)
    for cond in rule.conditions:
        if not cond.is_behaviour:
            held.append(fixed.holds(cond))
            continue
        assert counts is not None
        count = counts.count(cond)
        if cond.frequency == "each":
            held.append(count >= 1)
            each = count
        elif cond.frequency == "none":
            held.append(count == 0)
        else:
            held.append(count >= cond.count)
    if rule.limit is not None:
        each = case((each > rule.limit, literal(rule.limit)), else_=each)
    return cast(case((and_(*held), each), else_=0), Integer)


def _clamp(value: Sql, bounds: Bounds | None) -> Sql:
    whens = []
    if bounds is not None and bounds.min is not None:
        whens.append((value < bounds.min, literal(bounds.min)))
    if bounds is not None and bounds.max is not None:
        whens.append((value > bounds.max, literal(bounds.max)))
    return case(*whens, else_=value) if whens else value


def _grade(model: ScoringModel, score: Sql) -> Sql:
    whens = []
    for grade in model.grades:
        tests = []
        if grade.min is not None:
            tests.append(score >= grade.min)
        if grade.max is not None:
            tests.append(score <= grade.max)
        whens.append((and_(true(), *tests), literal(grade.name)))
    return case(*whens, else_=null()) if whens else cast(null(), String)


def _scored(model: ScoringModel, rule_fires: FromClause, explain: bool, next_change: bool,
            fence: bool) -> Select[Any]:
    """Sum, clamp, grade and sales-ready over the per-rule fires."""
    fires = [rule_fires.c[f"fires_{i}"] for i in range(len(model.rules))]
    unbounded: Sql = rule_fires.c.adjustment
    for rule, fired in zip(model.rules, fires, strict=True):
        unbounded = unbounded + literal(rule.points) * fired
    carried = [rule_fires.c.next_change_at] if next_change else []
    totals = select(
        rule_fires.c.lead_id,
        rule_fires.c.adjustment,
        *carried,
        *fires,
        cast(unbounded, Integer).label("unbounded"),
    ).subquery("totals")
    # Fenced (over every lead): merged into the query reading it, the score expression would
    # be repeated wherever the score is read (grade, sales-ready, the comparison with the
    # stored score), a whole sum over the rules each time.
    scored_rows = select(
        totals, cast(_clamp(totals.c.unbounded, model.bounds), Integer).label("score"))
    scored = (fenced(scored_rows) if fence else scored_rows).subquery("scored")
    score = scored.c.score
    ready: Sql = literal(False)
    if model.sales_ready_score is not None:
        ready = case((score >= model.sales_ready_score, literal(True)), else_=literal(False))
    columns = [scored.c.lead_id, score, _grade(model, score).label("grade"),
               type_coerce(ready, Boolean).label("sales_ready")]
    if next_change:
        columns.append(scored.c.next_change_at)
    if explain:
        columns += [scored.c.adjustment, scored.c.unbounded,
                    *(scored.c[f"fires_{i}"] for i in range(len(model.rules)))]
    return select(*columns)
