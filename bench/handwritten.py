"""The hand-written baseline of the scoring benchmark: the fixed 10-rule model `BENCH_MODEL`
written directly in SQL, the way a person who knows the data would write it.

`make bench` runs it next to `compile_model(BENCH_MODEL)` on the same database and reports the
ratio (SPEC §7: the compiled query within 1.5× of this one). It does the same work: lead
context, recycle cut-off (`leads.recycled_at`), account-scope leads over every contact of the
account, the null rule; no manual adjustments. tests/parity/test_bench_handwritten.py checks
that both give the same rows. It is written as a person who read the query plans would: the
per-contact groups and the scores are MATERIALIZED, recycled leads are read by index.

Run it with SQLAlchemy: `connection.execute(text(handwritten_sql(dialect)),
handwritten_params(company_id, as_of, dialect))`; rows are (lead_id, score, grade, sales_ready).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

BENCH_MODEL = """\
MODEL "Benchmark" KEY 'bench' SALES READY AT 60
BOUNDS 0 TO 100
GRADES cold TO 19, warm 20 TO 59, hot FROM 60
RULE "Clicks" +5 LIMIT 10
  WHEN EACH EmailClicked WITHIN 90 DAYS
RULE "Opens" +1 LIMIT 20
  WHEN EACH EmailOpened WITHIN 30 DAYS
RULE "Forms" +15
  WHEN FormSubmitted WITHIN 180 DAYS
RULE "Pricing page" +10
  WHEN AT LEAST 3 WebsiteVisited WHERE url CONTAINS 'pricing' WITHIN 30 DAYS
RULE "Events" +20 LIMIT 2
  WHEN EACH EventAttended WITHIN 365 DAYS CONTEXT ANY
RULE "Unsubscribed" -30
  WHEN EmailUnsubscribed
RULE "Gone quiet" -10
  WHEN NONE EmailOpened WITHIN 60 DAYS
RULE "Big accounts" +20
  WHEN Account WHERE employees >= 500
RULE "Executives" +10
  WHEN Contact WHERE job_title IN ('ceo', 'cto', 'cfo', 'vp sales')
RULE "Priority in target countries" +5
  WHEN Contact WHERE country IN ('us', 'ca', 'gb') AND Lead WHERE priority IN ('high', 'urgent')
"""

WINDOWS = {"d30": 30, "d60": 60, "d90": 90, "d180": 180, "d365": 365}

# Counts per interaction (no lead involved): column name → FILTER condition.
_COUNTS = {
    "clicks": "i.type = 'email_clicked' AND i.occurred_at > :d90",
    "opens30": "i.type = 'email_opened' AND i.occurred_at > :d30",
    "forms": "i.type = 'form_submitted' AND i.occurred_at > :d180",
    "pricing": "i.type = 'website_visited' AND i.occurred_at > :d30 "
               "AND lower(i.url) LIKE '%pricing%'",
    "events": "i.type = 'event_attended' AND i.occurred_at > :d365",
    "unsubscribed": "i.type = 'email_unsubscribed'",
    "opens60": "i.type = 'email_opened' AND i.occurred_at > :d60",
}
_ANY_CONTEXT = {"events"}
_TYPES = ("'email_clicked', 'email_opened', 'form_submitted', 'website_visited', "
          "'event_attended', 'email_unsubscribed'")


def _context(lead: str, campaign: str, program: str, via: str) -> str:
    """The `context: lead` rule between a lead (alias) and an interaction's context."""
    return (f"(({campaign} IS NULL AND {program} IS NULL) "
            f"OR ({lead}.campaign_id IS NULL AND {lead}.program_id IS NULL) "
            f"OR {campaign} = {lead}.campaign_id "
            f"OR ({lead}.campaign_id IS NULL AND ({program} = {lead}.program_id "
            f"OR {via} = {lead}.program_id)))")


def _behaviour() -> str:
    counts = ",\n    ".join(f"COUNT(*) FILTER (WHERE {cond}) AS {name}"
                            for name, cond in _COUNTS.items())
    in_context = _context("lc", "g.campaign_id", "g.program_id", "g.via_program_id")
    grouped = ",\n    ".join(
        f"SUM(g.{name}) AS {name}" if name in _ANY_CONTEXT
        else f"SUM(CASE WHEN {in_context} THEN g.{name} ELSE 0 END) AS {name}"
        for name in _COUNTS)
    direct_context = _context("lc", "i.campaign_id", "i.program_id", "cp.program_id")
    direct = ",\n    ".join(
        f"COUNT(*) FILTER (WHERE {cond}"
        + ("" if name in _ANY_CONTEXT else f" AND {direct_context}") + f") AS {name}"
        for name, cond in _COUNTS.items())
    base = (f"i.company_id = :company_id AND i.occurred_at <= :as_of "
            f"AND i.type IN ({_TYPES})")
    return f"""
lead_contacts AS (
  SELECT l.id AS lead_id, l.contact_id, l.campaign_id, l.program_id
  FROM leads l
  WHERE l.company_id = :company_id AND l.scope <> 'account' AND l.contact_id IS NOT NULL
    AND l.recycled_at IS NULL
  UNION ALL
  SELECT l.id, c.id, l.campaign_id, l.program_id
  FROM leads l JOIN contacts c ON c.account_id = l.account_id AND c.company_id = :company_id
  WHERE l.company_id = :company_id AND l.scope = 'account' AND l.recycled_at IS NULL
),
recycled_contacts AS (
  SELECT l.id AS lead_id, l.contact_id, l.campaign_id, l.program_id, l.recycled_at AS since
  FROM leads l
  WHERE l.company_id = :company_id AND l.scope <> 'account' AND l.contact_id IS NOT NULL
    AND l.recycled_at IS NOT NULL
  UNION ALL
  SELECT l.id, c.id, l.campaign_id, l.program_id, l.recycled_at
  FROM leads l JOIN contacts c ON c.account_id = l.account_id AND c.company_id = :company_id
  WHERE l.company_id = :company_id AND l.scope = 'account' AND l.recycled_at IS NOT NULL
),
groups AS MATERIALIZED (
  SELECT i.contact_id, i.campaign_id, i.program_id, cp.program_id AS via_program_id,
    {counts}
  FROM interactions i LEFT JOIN campaigns cp ON cp.id = i.campaign_id
  WHERE {base} AND i.contact_id IS NOT NULL
  GROUP BY i.contact_id, i.campaign_id, i.program_id, cp.program_id
),
behaviour AS (
  SELECT lc.lead_id,
    {grouped}
  FROM lead_contacts lc JOIN groups g ON g.contact_id = lc.contact_id
  GROUP BY lc.lead_id
  UNION ALL
  SELECT lc.lead_id,
    {direct}
  FROM recycled_contacts lc
    JOIN interactions i ON i.contact_id = lc.contact_id
    LEFT JOIN campaigns cp ON cp.id = i.campaign_id
  WHERE {base} AND i.occurred_at >= lc.since
  GROUP BY lc.lead_id
)"""


def _contact_test(alias: str, condition: str) -> str:
    """`Contact WHERE condition`: the lead's contact, or any contact of an account lead."""
    return (f"((l.scope <> 'account' AND c.id IS NOT NULL AND {condition.format(c='c')}) "
            f"OR (l.scope = 'account' AND EXISTS (SELECT 1 FROM contacts {alias} "
            f"WHERE {alias}.company_id = :company_id AND {alias}.account_id = l.account_id "
            f"AND {condition.format(c=alias)})))")


def handwritten_sql(dialect: str) -> str:
    """The benchmark model as one SQL query for `dialect` (`postgresql` or `sqlite`)."""
    if dialect not in ("postgresql", "sqlite"):
        raise ValueError(f"no hand-written query for {dialect}")
    least, greatest = ("LEAST", "GREATEST") if dialect == "postgresql" else ("min", "max")

    def n(name: str) -> str:
        return f"COALESCE(b.{name}, 0)"

    executives = _contact_test("ce", "lower({c}.job_title) IN ('ceo', 'cto', 'cfo', 'vp sales')")
    countries = _contact_test("cc", "lower({c}.country) IN ('us', 'ca', 'gb')")
    points = " + ".join([
        f"5 * {least}({n('clicks')}, 10)",
        f"1 * {least}({n('opens30')}, 20)",
        f"CASE WHEN {n('forms')} >= 1 THEN 15 ELSE 0 END",
        f"CASE WHEN {n('pricing')} >= 3 THEN 10 ELSE 0 END",
        f"20 * {least}({n('events')}, 2)",
        f"CASE WHEN {n('unsubscribed')} >= 1 THEN -30 ELSE 0 END",
        f"CASE WHEN {n('opens60')} = 0 THEN -10 ELSE 0 END",
        "CASE WHEN a.employees >= 500 THEN 20 ELSE 0 END",
        f"CASE WHEN {executives} THEN 10 ELSE 0 END",
        f"CASE WHEN {countries} AND lower(l.priority) IN ('high', 'urgent') THEN 5 ELSE 0 END",
    ])
    return f"""WITH {_behaviour()},
scored AS MATERIALIZED (
  SELECT l.id AS lead_id, {least}({greatest}({points}, 0), 100) AS score
  FROM leads l
    LEFT JOIN behaviour b ON b.lead_id = l.id
    LEFT JOIN contacts c ON c.id = l.contact_id
    LEFT JOIN accounts a
      ON a.id = COALESCE(CASE WHEN l.scope = 'contact' THEN c.account_id END, l.account_id)
  WHERE l.company_id = :company_id
)
SELECT lead_id, score,
  CASE WHEN score <= 19 THEN 'cold' WHEN score <= 59 THEN 'warm' ELSE 'hot' END AS grade,
  score >= 60 AS sales_ready
FROM scored"""


def handwritten_params(company_id: int, as_of: datetime, dialect: str) -> dict[str, Any]:
    """The bound values of `handwritten_sql`: the company, as_of and each window's start.

    SQLite stores date-times as naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`, so they are
    passed in that form there."""
    as_of = as_of.astimezone(UTC)
    moments = {"as_of": as_of, **{k: as_of - timedelta(days=d) for k, d in WINDOWS.items()}}
    if dialect == "sqlite":
        return {"company_id": company_id,
                **{k: v.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
                   for k, v in moments.items()}}
    return {"company_id": company_id, **moments}
