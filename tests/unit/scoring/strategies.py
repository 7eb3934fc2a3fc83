"""Hypothesis strategies: valid scoring models and random lead "worlds" (reused by SQL parity)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import strategies as st

from leadflow.scoring.evaluate import LeadFacts
from leadflow.scoring.model import (
    Bounds,
    Condition,
    Expr,
    Grade,
    Rule,
    ScoringModel,
    Target,
    Window,
)
from leadflow.scoring.schema import (
    FIXED_ROOTS,
    MAX_HOPS,
    OPERATOR_TYPES,
    EntitySpec,
    FieldSpec,
    FieldType,
    Schema,
)
from leadflow.scoring.values import DaysAgo

SCHEMA = Schema.build(
    custom_fields=[
        {"key": "segment", "entity": "contact", "type": "choice", "choices": ["smb", "enterprise"]},
        {"key": "budget", "entity": "account", "type": "number"},
        {"key": "vip", "entity": "lead", "type": "boolean"},
        {"key": "renewal", "entity": "account", "type": "date"},
    ],
    interaction_types=[
        {"key": "webinar_watched", "name": "WebinarWatched",
         "attributes": [{"key": "minutes", "type": "number"}]},
        {"key": "website_visited", "attributes": [{"key": "pricing", "type": "boolean"}]},
    ],
)
AS_OF = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
BEHAVIOUR_ROOTS = ("EmailClicked", "EmailOpened", "FormSubmitted", "WebinarWatched",
                   "WebsiteVisited")

TEXTS = ["Chicago", "chicago", "CHI", "Boston", "", "acme", "Acme Corp", "x@microsoft.com",
         "o'brien \"q\" \\ z"]
NUMBERS = [-5, 0, 1, 3, 10, 499, 500, 501, 2.5, 1000]
# Models may not hold NUL (PostgreSQL can't store or compare it).
_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")


def _dates() -> st.SearchStrategy[date]:
    return st.integers(-40, 40).map(lambda d: AS_OF.date() + timedelta(days=d))


def _datetimes() -> st.SearchStrategy[datetime]:
    return st.integers(-40 * 24, 40 * 24).map(lambda h: AS_OF + timedelta(hours=h))


@cache
def _literal(spec: FieldSpec, op: str) -> st.SearchStrategy[Any]:
    """A literal fitting the field type (and choices for equality-like operators)."""
    kind = spec.type
    if kind is FieldType.CHOICE and op in ("eq", "ne", "in", "not_in"):
        return st.sampled_from(spec.choices)
    if kind in (FieldType.TEXT, FieldType.CHOICE):
        return st.sampled_from(TEXTS) | st.text(_CHARS, max_size=6)
    if kind is FieldType.NUMBER:
        return st.sampled_from(NUMBERS) | st.integers(-1000, 1000) | st.floats(
            -1e6, 1e6, allow_nan=False)
    if kind is FieldType.BOOLEAN:
        return st.booleans()
    relative = st.integers(0, 60).map(DaysAgo)
    if kind is FieldType.DATE:
        return _dates() | relative
    return _dates() | _datetimes() | relative


@st.composite
def exprs(draw: st.DrawFn, entity: EntitySpec, hop_budget: int, schema: Schema = SCHEMA) -> Expr:
    """A valid `where` expression on `entity`, using at most `hop_budget` field hops."""
    prefix = ""
    if hop_budget > 0 and entity.relations and draw(st.booleans()):
        hop = draw(st.sampled_from(sorted(entity.relations)))
        target = schema.entity(entity.relations[hop])
        assert target is not None
        prefix, entity = hop + ".", target
    name = draw(_field_names(entity.name, schema))
    spec = entity.field(name)
    assert spec is not None
    op = draw(_operators(spec.type))
    if op in ("is_empty", "is_not_empty"):
        return Expr(prefix + name, op)
    if op in ("in", "not_in"):
        value: Any = tuple(draw(st.lists(_literal(spec, op), min_size=1, max_size=3)))
    elif op == "between":
        low, high = draw(_literal(spec, op)), draw(_literal(spec, op))
        value = (low, high) if _ordered(low, high) else (high, low)
        if not _ordered(*value):
            value = (low, low)
    else:
        value = draw(_literal(spec, op))
    return Expr(prefix + name, op, value)


@cache
def _field_names(entity_name: str, schema: Schema) -> st.SearchStrategy[str]:
    entity = schema.entity(entity_name)
    assert entity is not None
    names = sorted(entity.fields)
    if entity.is_interaction:
        names += ["attr." + a for a in entity.attributes] + ["attr.note"]
    return st.sampled_from(names)


@cache
def _operators(kind: FieldType) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(o for o, kinds in OPERATOR_TYPES.items() if kind in kinds))


def _ordered(low: Any, high: Any) -> bool:
    if isinstance(low, DaysAgo) or isinstance(high, DaysAgo):
        if isinstance(low, DaysAgo) and isinstance(high, DaysAgo):
            return low.days >= high.days
        return True
    try:
        return bool(low <= high)
    except TypeError:
        return True


@st.composite
def conditions(
    draw: st.DrawFn, fixed_only: bool = False, schema: Schema = SCHEMA
) -> Condition:
    """A valid condition: fixed (Lead/Contact/Account) or, unless fixed_only, behaviour."""
    roots = FIXED_ROOTS if fixed_only else FIXED_ROOTS + BEHAVIOUR_ROOTS
    root = draw(st.sampled_from(roots))
    entity = schema.entity(root)
    assert entity is not None
    hops: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        if not entity.relations:
            break
        hop = draw(st.sampled_from(sorted(entity.relations)))
        hops.append(hop)
        entity = schema.entity(entity.relations[hop])
        assert entity is not None
    budget = MAX_HOPS - len(hops)
    where = tuple(draw(st.lists(exprs(entity, budget, schema), max_size=2)))
    path = ".".join([root, *hops])
    if root in FIXED_ROOTS:
        return Condition(path, where)
    frequency = draw(st.sampled_from(["each", "at_least", "none"]))
    count = draw(st.integers(1, 3)) if frequency == "at_least" else 1
    window = draw(st.none() | st.integers(1, 60).map(lambda d: Window(days=d))
                  | _dates().map(lambda d: Window(since=d)))
    context = draw(st.sampled_from(["lead", "any"]))
    return Condition(path, where, frequency, count, window, context)


def _single_each(conds: list[Condition]) -> tuple[Condition, ...]:
    """Keep the first EACH condition; later ones become AT LEAST 1."""
    out, seen = [], False
    for cond in conds:
        if cond.is_behaviour and cond.frequency == "each":
            if seen:
                cond = Condition(cond.entity, cond.where, "at_least", 1, cond.window, cond.context)
            seen = True
        out.append(cond)
    return tuple(out)


NAMES = st.text(_CHARS, min_size=1, max_size=10).filter(lambda s: s.strip() != "")


@st.composite
def rules(draw: st.DrawFn, name: str) -> Rule:
    """A valid rule named `name`."""
    points = draw(st.integers(-20, 20).filter(lambda p: p != 0))
    limit = draw(st.none() | st.integers(1, 5))
    conds = _single_each(draw(st.lists(conditions(), min_size=1, max_size=2)))
    return Rule(name, points, conds, limit)


@st.composite
def grade_lists(draw: st.DrawFn) -> tuple[Grade, ...]:
    """Ordered contiguous grades (the first may omit min, the last max)."""
    widths = draw(st.lists(st.integers(1, 30), max_size=4))
    if not widths:
        return ()
    names = draw(st.lists(NAMES, min_size=len(widths), max_size=len(widths), unique=True))
    low = draw(st.integers(-20, 20))
    grades = []
    for name, width in zip(names, widths, strict=True):
        grades.append(Grade(name, low, low + width - 1))
        low += width
    if draw(st.booleans()):
        grades[0] = Grade(grades[0].name, None, grades[0].max)
    if draw(st.booleans()):
        grades[-1] = Grade(grades[-1].name, grades[-1].min, None)
    return tuple(grades)


@st.composite
def scoring_models(draw: st.DrawFn) -> ScoringModel:
    """A valid scoring model over SCHEMA."""
    rule_names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    bounds = None
    if draw(st.booleans()):
        low, high = draw(st.none() | st.integers(-50, 0)), draw(st.none() | st.integers(0, 80))
        bounds = Bounds(low, high) if (low, high) != (None, None) else Bounds(0, None)
    targets = st.sampled_from([Target("campaign", "c1"), Target("campaign", "c2"),
                               Target("program", "p1"), Target("company")])
    return ScoringModel(
        key=draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True)),
        name=draw(NAMES),
        description=draw(st.text(_CHARS, max_size=20)),
        lead_scope=draw(st.sampled_from(["contact", "account", "any"])),
        audience=tuple(draw(st.lists(conditions(fixed_only=True), max_size=1))),
        applies_to=tuple(draw(st.lists(targets, max_size=3, unique=True))),
        rules=tuple(draw(rules(n)) for n in rule_names),
        grades=draw(grade_lists()),
        sales_ready_score=draw(st.none() | st.integers(-10, 60)),
        bounds=bounds,
    )


# ------------------------------------------------------------------------- worlds (LeadFacts)

PROGRAMS = [{"id": 1, "key": "p1", "name": "Launch"}, {"id": 2, "key": "p2", "name": "Brand"}]
CAMPAIGNS = [
    {"id": 1, "key": "c1", "name": "Spring", "program": PROGRAMS[0]},
    {"id": 2, "key": "c2", "name": "Summer", "program": PROGRAMS[1]},
    {"id": 3, "key": "c3", "name": "Solo", "program": None},
]
EMAILS = [{"id": 1, "key": "invite", "name": "Invite", "subject": "Join us in Chicago"}]
PAGES = [{"id": 1, "key": "form", "name": "Form", "url": "https://acme.test/pricing"}]
EVENTS = [{"id": 1, "key": "summit", "name": "Summit"}]
USERS = [{"id": 1, "email": "ana@acme.test", "name": "Ana", "role": "sales"}]


@cache
def _field_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.type is FieldType.CHOICE:
        return st.none() | st.sampled_from(spec.choices)
    if spec.type is FieldType.TEXT:
        return st.none() | st.sampled_from(TEXTS)
    if spec.type is FieldType.NUMBER:
        return st.none() | st.sampled_from(NUMBERS)
    if spec.type is FieldType.BOOLEAN:
        return st.none() | st.booleans()
    if spec.type is FieldType.DATE:
        return st.none() | _dates()
    return st.none() | _datetimes()


@cache
def _fields_of(entity_name: str) -> st.SearchStrategy[dict[str, Any]]:
    entity = SCHEMA.entity(entity_name)
    assert entity is not None
    return st.fixed_dictionaries({n: _field_value(f) for n, f in entity.fields.items()})


@st.composite
def records(draw: st.DrawFn, entity_name: str, record_id: int) -> dict[str, Any]:
    """A record of `entity_name` with random field values (relations not filled)."""
    return {"id": record_id, **draw(_fields_of(entity_name))}


def _pick(options: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any] | None]:
    return st.none() | st.sampled_from(options)


_CAMPAIGN, _PROGRAM, _EMAIL = _pick(CAMPAIGNS), _pick(PROGRAMS), _pick(EMAILS)
_PAGE, _EVENT, _OWNER = _pick(PAGES), _pick(EVENTS), _pick(USERS)
_ATTRS = st.fixed_dictionaries({
    "minutes": st.none() | st.sampled_from(NUMBERS),
    "pricing": st.none() | st.booleans(),
    "note": st.none() | st.sampled_from(TEXTS),
})
_OFFSETS = st.integers(-70, 2).map(lambda d: timedelta(days=d)) | st.integers(
    -70 * 86400, 2 * 86400).map(lambda s: timedelta(seconds=s))


@st.composite
def interactions(
    draw: st.DrawFn, contacts: list[dict[str, Any]], interaction_id: int
) -> dict[str, Any]:
    """An interaction of one of `contacts`, at a random time around AS_OF."""
    name = draw(st.sampled_from(BEHAVIOUR_ROOTS))
    entity = SCHEMA.entity(name)
    assert entity is not None and entity.type_key is not None
    item = draw(records(name, interaction_id))
    contact = draw(st.sampled_from(contacts))
    item["occurred_at"] = AS_OF + draw(_OFFSETS)
    item.update(
        type=entity.type_key, contact=contact, account=contact.get("account"),
        campaign=draw(_CAMPAIGN), program=draw(_PROGRAM),
        email=draw(_EMAIL), landing_page=draw(_PAGE), event=draw(_EVENT),
        attr=draw(_ATTRS),
    )
    return item


@st.composite
def worlds(draw: st.DrawFn) -> LeadFacts:
    """A lead with its contacts, accounts, context and interactions, as plain records."""
    parent = draw(st.none() | records("Account", 100))
    accounts = []
    for i in range(draw(st.integers(1, 2))):
        account = draw(records("Account", i + 1))
        account["parent"] = parent if draw(st.booleans()) else None
        accounts.append(account)
    contacts = []
    for i in range(draw(st.integers(1, 3))):
        contact = draw(records("Contact", i + 1))
        contact["account"] = draw(st.none() | st.sampled_from(accounts))
        contacts.append(contact)
    lead = draw(records("Lead", 1))
    scope = draw(st.sampled_from(["contact", "account"]))
    campaign = draw(_CAMPAIGN)
    lead.update(
        scope=scope,
        contact=contacts[0] if scope == "contact" else None,
        account=(contacts[0]["account"] if scope == "contact" else draw(st.sampled_from(accounts))),
        campaign=campaign,
        program=(campaign or {}).get("program") if campaign else draw(_PROGRAM),
        owner=draw(_OWNER),
    )
    seen = [contacts[0]] if scope == "contact" else [
        c for c in contacts if c["account"] is not None and c["account"] is lead["account"]
    ]
    items = [draw(interactions(seen or contacts, i + 1)) for i in range(draw(st.integers(0, 8)))]
    if not seen:
        items = []
    since = draw(st.none() | st.integers(-60, 0).map(lambda d: AS_OF + timedelta(days=d)))
    return LeadFacts(lead, seen, items, since, draw(st.integers(-10, 10)))
