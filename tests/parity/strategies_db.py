"""Hypothesis worlds that can be written to the database: one company with accounts, contacts,
leads of both scopes and interactions, with values every column can store — and, in the JSON
columns, also values a schema change can leave behind ("drift": numbers as text, text in a
number field, malformed dates)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from hypothesis import strategies as st

from leadflow.scoring import Condition, ScoringModel
from tests.unit.scoring.strategies import AS_OF, NUMBERS, SCHEMA, TEXTS, scoring_models

# Texts every column can hold; some need Unicode case folding, some LIKE escaping.
WORDS = [*TEXTS, "MÜNCHEN", "münchen", "50%_off", "a_b/c", "Ünïcödé", "CEO", "us"]
INTS = [n for n in NUMBERS if isinstance(n, int)]
FLOATS = [float(n) for n in NUMBERS] + [0.1, 1e20, 1 / 3]
CAMPAIGN_KEYS = ("c1", "c2", "c3")  # c1 → p1, c2 → p2, c3 without program
PROGRAM_KEYS = ("p1", "p2")
INTERACTION_TYPES = ("email_clicked", "email_opened", "form_submitted", "webinar_watched",
                     "website_visited", "email_delivered")

def _maybe(values: list[Any] | tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.none() | st.sampled_from(values)


# Strategies are built once: hypothesis validates every new strategy object, which costs
# more than drawing from it.
@cache
def _index(size: int) -> st.SearchStrategy[int]:
    return st.integers(0, size - 1)


@cache
def _often(size: int) -> st.SearchStrategy[int | None]:
    """An index below `size`, sometimes none (a missing relation)."""
    return st.sampled_from([*range(size), *range(size), *range(size), None])


@cache
def _ids(prefix: str, index: int) -> st.SearchStrategy[str | None]:
    """None, or one of two case variants of a unique id."""
    return _options(f"{prefix.upper()}{index}", f"{prefix}{index}")


@cache
def _options(*values: str) -> st.SearchStrategy[str | None]:
    return _maybe(values)


@cache
def _types(types: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(types) | st.sampled_from(INTERACTION_TYPES)


DAYS = st.integers(-40, 40).map(lambda d: AS_OF.date() + timedelta(days=d))
MOMENTS = (  # times around AS_OF, often exactly on a day or midnight boundary
    st.integers(-70, 2).map(lambda d: AS_OF + timedelta(days=d))
    | st.integers(-70, 1).map(lambda d: AS_OF + timedelta(days=d, hours=-12))
    | st.integers(-70 * 86400, 2 * 86400).map(lambda s: AS_OF + timedelta(seconds=s))
    | st.sampled_from([-1, 1]).map(lambda us: AS_OF + timedelta(days=-30, microseconds=us))
)
MAYBE_WORD = _maybe(WORDS)
WORD = st.sampled_from(WORDS)
MAYBE_INT = _maybe(INTS)
MAYBE_FLOAT = _maybe(FLOATS)
MAYBE_MOMENT = st.none() | MOMENTS
MAYBE_DAY = st.none() | DAYS
CAMPAIGN = _maybe(CAMPAIGN_KEYS)
PROGRAM = _maybe(PROGRAM_KEYS)
BOOL = st.booleans()
_MISSING = object()

# JSON values per declared type, drift included; _MISSING leaves the key out.
JSON_NUMBER = st.just(_MISSING) | _maybe(
    [*NUMBERS, 0.1, "45", " 7 ", "1e3", "-0", "abc", "", "1_000", "0x10", True, "3."])
JSON_BOOLEAN = st.just(_MISSING) | _maybe(
    [True, False, "true", "FALSE", "1", "0", 1, 0, 2, "yes", " true", ""])
JSON_DATE = st.just(_MISSING) | st.none() | DAYS.map(date.isoformat) | st.sampled_from(
    ["2024-02-30", "0000-01-01", "2024-06-01T10:00:00Z", "soon", "", "2024-6-1", 20240601])
JSON_CHOICE = st.just(_MISSING) | _maybe(["smb", "enterprise", "SMB", "Enterprise", 5, True, ""])
JSON_TEXT = st.just(_MISSING) | _maybe([*WORDS, 10, 2.5, 1e20, True, False])
ORIGIN = _maybe(["landing_page", "event", "email", "journey"])
PRIORITY = st.sampled_from(["low", "normal", "high", "urgent"])
STAGE = st.sampled_from(["nurture", "sales_ready", "won"])
SOURCE = st.sampled_from(["manual", "auto", "import", "api"])
SCOPE = st.sampled_from(["contact", "account"])
URL = _maybe([*WORDS, "https://acme.test/pricing"])
BOUNCE = _maybe(["hard", "soft", "HARD"])
ADJUSTMENT = st.integers(-10, 10)


@dataclass
class World:
    """Rows to write for one company; relations are indexes into the lists (or keys)."""

    accounts: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    leads: list[dict[str, Any]]
    interactions: list[dict[str, Any]]
    adjustments: list[tuple[int, int]] = field(default_factory=list)
    recycle_resets: bool = True


def _custom(**values: Any) -> dict[str, Any]:
    """A JSON object of custom values: keys whose value is _MISSING are left out."""
    return {k: v for k, v in values.items() if v is not _MISSING}


def _account(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """An account row (`parent` is an earlier account's index or None)."""
    return {
        "name": draw(WORD),
        "domain": draw(_options(f"acme{index}.test", f"ACME{index}.Test")),
        "industry": draw(MAYBE_WORD),
        "city": draw(MAYBE_WORD),
        "country": draw(MAYBE_WORD),
        "external_id": draw(_ids("a-", index)),
        "employees": draw(MAYBE_INT),
        "annual_revenue": draw(MAYBE_FLOAT),
        "created_at": draw(MOMENTS),
        "custom": _custom(budget=draw(JSON_NUMBER), renewal=draw(JSON_DATE)),
        "parent": draw(st.none() | _index(index)) if index else None,
    }


def _contact(draw: st.DrawFn, index: int, n_accounts: int) -> dict[str, Any]:
    """A contact row (`account` is an account index or None)."""
    return {
        "email": draw(_options(f"p{index}@microsoft.com", f"P{index}@Acme.test")),
        **{name: draw(MAYBE_WORD) for name in (
            "first_name", "last_name", "job_title", "phone", "city", "state", "country")},
        "external_id": draw(_ids("c-", index)),
        "created_at": draw(MOMENTS),
        "custom": _custom(segment=draw(JSON_CHOICE)),
        "account": draw(_often(n_accounts)),
    }


def _lead(draw: st.DrawFn, index: int, n_accounts: int, n_contacts: int) -> dict[str, Any]:
    """A lead row of either scope, in a campaign, a program or no context."""
    return {
        "name": draw(WORD),
        "scope": draw(SCOPE),
        "contact": draw(_often(n_contacts)),
        "account": draw(_often(n_accounts)),
        "campaign": draw(CAMPAIGN),
        "program": draw(PROGRAM),
        "owner": draw(BOOL),
        "origin": draw(ORIGIN),
        "status": draw(MAYBE_WORD),
        "priority": draw(PRIORITY),
        "due_date": draw(MAYBE_DAY),
        "territory": draw(MAYBE_WORD),
        "stage": draw(STAGE),
        "sales_ready": draw(BOOL),
        "source": draw(SOURCE),
        "external_id": draw(_ids("l-", index)),
        "created_at": draw(MOMENTS),
        "updated_at": draw(MOMENTS),
        "recycled_at": draw(MAYBE_MOMENT),
        "custom": _custom(vip=draw(JSON_BOOLEAN)),
    }


def _interaction(
    draw: st.DrawFn, index: int, n_accounts: int, n_contacts: int, types: tuple[str, ...]
) -> dict[str, Any]:
    """An interaction of a contact (sometimes of nobody), in a random context."""
    return {
        "type": draw(_types(types)),
        "occurred_at": draw(MOMENTS),
        "contact": draw(_often(n_contacts)),
        "account": draw(_often(n_accounts)),
        "campaign": draw(CAMPAIGN),
        "program": draw(PROGRAM),
        "email": draw(BOOL),
        "landing_page": draw(BOOL),
        "event": draw(BOOL),
        "url": draw(URL),
        "link": draw(MAYBE_WORD),
        "bounce_type": draw(BOUNCE),
        "duration_seconds": draw(MAYBE_INT),
        "external_id": draw(_ids("i-", index)),
        "attributes": _custom(minutes=draw(JSON_NUMBER), pricing=draw(JSON_BOOLEAN),
                              note=draw(JSON_TEXT)),
    }


@st.composite
def worlds(
    draw: st.DrawFn, max_leads: int = 4, max_interactions: int = 24,
    types: tuple[str, ...] = INTERACTION_TYPES,
) -> World:
    """A company world: 1–2 accounts, 1–3 contacts, 1–`max_leads` leads, 2–`max_interactions`
    interactions, mostly of `types`."""
    n_accounts = draw(st.integers(1, 2))
    n_contacts = draw(st.integers(1, 3))
    n_leads = draw(st.integers(1, max_leads))
    n_interactions = draw(st.integers(2, max_interactions))
    return World(
        accounts=[_account(draw, i) for i in range(n_accounts)],
        contacts=[_contact(draw, i, n_accounts) for i in range(n_contacts)],
        leads=[_lead(draw, i, n_accounts, n_contacts) for i in range(n_leads)],
        interactions=[_interaction(draw, i, n_accounts, n_contacts, types)
                      for i in range(n_interactions)],
        adjustments=draw(st.lists(st.tuples(_index(n_leads), ADJUSTMENT), max_size=3)),
        recycle_resets=draw(BOOL),
    )


@st.composite
def parity_models(draw: st.DrawFn) -> ScoringModel:
    """Generated models, often loosened (fewer `where`, no audience, any scope) so that more
    conditions hold on small worlds and both outcomes of each condition get compared."""
    model = draw(scoring_models())

    def loosen(cond: Condition) -> Condition:
        keep = draw(st.sampled_from([0, 0, 1, len(cond.where)]))
        return replace(cond, where=cond.where[:keep])

    rules = tuple(replace(r, conditions=tuple(loosen(c) for c in r.conditions))
                  for r in model.rules)
    audience = model.audience if draw(st.booleans()) else ()
    scope = model.lead_scope if draw(st.booleans()) else "any"
    return replace(model, rules=rules, audience=audience, lead_scope=scope)


@st.composite
def models_and_worlds(draw: st.DrawFn) -> tuple[ScoringModel, World]:
    """A (loosened) model and a world whose interactions are mostly of the model's types."""
    model = draw(parity_models())
    names = {c.root for r in model.rules for c in r.conditions if c.is_behaviour}
    types = tuple(sorted(SCHEMA.interaction_types()[n] for n in names)) or INTERACTION_TYPES
    return model, draw(worlds(types=types))
