"""The text form: the SPEC example, every feature, and errors with line, column and hint."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadflow.scoring import (
    Bounds,
    DaysAgo,
    Expr,
    ModelInvalid,
    Target,
    TextFormError,
    Window,
    model_to_dict,
    parse_text,
    render_text,
)

from .strategies import SCHEMA

SPEC_EXAMPLE = """\
MODEL "Enterprise interest" SCOPE contact SALES READY AT 100
GRADES cold TO 29, warm 30 TO 69, hot FROM 70
RULE "Clicked emails" +5 LIMIT 10
  WHEN EACH EmailClicked WITHIN 365 DAYS
RULE "Chicago clickers" +10
  WHEN AT LEAST 3 EmailClicked.contact WHERE city = 'Chicago' AND email CONTAINS '@microsoft.com' WITHIN 90 DAYS
RULE "Big accounts" +20
  WHEN Lead.contact.account WHERE employees > 500
"""  # noqa: E501

EVERYTHING = """\
MODEL "Full model" KEY 'full' SCOPE account SALES READY AT 50  # a comment
DESCRIPTION "Says \\"hi\\"\\nand more"
BOUNDS -10 TO 100
GRADES "C" TO 9, b 10 TO 19, a FROM 20
AUDIENCE Lead WHERE stage IN ('nurture', 'sales_ready')
  AND Account WHERE employees BETWEEN 10 AND 5000
APPLIES TO CAMPAIGN 'spring', PROGRAM 'launch', COMPANY
RULE "Bounced" -10
  WHEN NONE EmailBounced SINCE '2024-01-01' CONTEXT ANY
RULE "Webinar and fit" +3 LIMIT 2
  WHEN EACH WebinarWatched WHERE attr.minutes >= 30 AND campaign.program.key STARTS WITH 'l'
  AND Contact WHERE city NOT IN ('x', 'y') AND email NOT CONTAINS 'gmail' AND phone IS EMPTY
  AND Lead WHERE vip = TRUE AND due_date <= 7 DAYS AGO AND created_at >= '2024-01-01T10:00:00Z'
  AND Lead.contact WHERE job_title ENDS WITH 'cto' AND city != 'Boston' AND state <> 'CA'
  AND Lead.account WHERE employees < 10 AND annual_revenue <= 2.5e6 AND budget > -3
  AND Lead WHERE name IS NOT EMPTY AND updated_at < 3 DAYS AGO AND priority = 'high'
"""


def test_spec_example_parses() -> None:
    model = parse_text(SPEC_EXAMPLE)
    assert model.name == "Enterprise interest"
    assert model.key == "enterprise-interest"
    assert (model.lead_scope, model.sales_ready_score) == ("contact", 100)
    assert [(g.name, g.min, g.max) for g in model.grades] == [
        ("cold", None, 29), ("warm", 30, 69), ("hot", 70, None)]
    clicks, chicago, big = model.rules
    assert (clicks.points, clicks.limit, clicks.conditions[0].frequency) == (5, 10, "each")
    assert clicks.conditions[0].window == Window(days=365)
    cond = chicago.conditions[0]
    assert (cond.entity, cond.frequency, cond.count) == ("EmailClicked.contact", "at_least", 3)
    assert cond.where == (Expr("city", "eq", "Chicago"),
                          Expr("email", "contains", "@microsoft.com"))
    assert big.conditions[0].where == (Expr("employees", "gt", 500),)


def test_spec_example_renders_as_written() -> None:
    assert render_text(parse_text(SPEC_EXAMPLE)) == SPEC_EXAMPLE


def test_every_feature_parses_and_round_trips() -> None:
    model = parse_text(EVERYTHING, SCHEMA)
    assert model.key == "full"
    assert model.description == 'Says "hi"\nand more'
    assert model.bounds == Bounds(-10, 100)
    assert model.applies_to == (Target("campaign", "spring"), Target("program", "launch"),
                                Target("company"))
    assert len(model.audience) == 2
    bounced, webinar = model.rules
    assert (bounced.points, bounced.conditions[0].frequency) == (-10, "none")
    assert bounced.conditions[0].window == Window(since=date(2024, 1, 1))
    assert bounced.conditions[0].context == "any"
    assert len(webinar.conditions) == 6
    lead_where = webinar.conditions[2].where
    assert lead_where[1] == Expr("due_date", "le", DaysAgo(7))
    assert lead_where[2].value == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert webinar.conditions[3].where[2] == Expr("state", "ne", "CA")
    assert webinar.conditions[4].where[1] == Expr("annual_revenue", "le", 2.5e6)
    assert parse_text(render_text(model), SCHEMA) == model


def test_dict_shape_of_parsed_text() -> None:
    data = model_to_dict(parse_text(EVERYTHING, SCHEMA))
    assert data["rules"][1]["conditions"][2]["where"][1] == {
        "field": "due_date", "op": "le", "value": {"days_ago": 7}}
    assert data["applies_to"] == [{"campaign": "spring"}, {"program": "launch"},
                                  {"company": True}]


def test_clauses_may_come_in_any_order_and_lines_are_free() -> None:
    text = 'MODEL "m" GRADES a TO 5, b FROM 6 SCOPE contact RULE "r" +1 WHEN Lead RULE "s" -1 ' \
           "WHEN\n\n   EmailOpened"
    model = parse_text(text)
    assert (model.lead_scope, len(model.rules)) == ("contact", 2)


def test_at_least_one_is_the_default_frequency() -> None:
    assert parse_text('MODEL "m" RULE "r" +1 WHEN AT LEAST 1 EmailOpened') == parse_text(
        'MODEL "m" RULE "r" +1 WHEN EmailOpened')


def test_context_lead_is_the_default() -> None:
    assert parse_text('MODEL "m" RULE "r" +1 WHEN EmailOpened CONTEXT LEAD') == parse_text(
        'MODEL "m" RULE "r" +1 WHEN EmailOpened')


def _syntax(text: str) -> TextFormError:
    with pytest.raises(TextFormError) as caught:
        parse_text(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "column", "hint"),
    [
        ('MODEL "m"\nRULE "r" +5\n  WHEN Lead WHERE name == 1', 3, 25, "a single ="),
        ('MODEL "m"\nRULE "r" +5\n  WHEN', 3, 7, "a condition names an entity"),
        ('MODEL "m"\nGRADES cold 5', 2, 14, "grades are written"),
        ('MODEL "m" RULE "r" +5 when Lead', 1, 23, "a rule needs WHEN"),
        ('MODEL "m" RULE "r" WHEN Lead', 1, 20, "gives points"),
        ("MODEL \"m\" RULE \"r\" +5 WHEN Lead WHERE name = 'abc", 1, 46, "same quote"),
        ('MODEL "m" RULE "r" +5 WHEN EmailClicked WITHIN 30', 1, 50, "WITHIN N DAYS"),
        ('MODEL "m" RULE "r" +5 WHEN Lead WHERE name IN \'x\'', 1, 47, "in parentheses"),
        ('MODEL "m" RULE "r" +5 WHEN Account WHERE employees BETWEEN 1 5', 1, 62, "BETWEEN"),
        ('RULE "r" +5 WHEN Lead', 1, 1, "a model starts with MODEL"),
        ('MODEL "m" RULE "r" +5 WHEN Lead WHERE name = city', 1, 46, "expected a value"),
        ('MODEL "m" RULE "r" +5 WHEN Lead WHERE created_at > 3 DAYS', 1, 58, "DAYS AGO"),
        ('MODEL "m" SCOPE "contact"', 1, 17, "SCOPE contact"),
        ('MODEL "m" RULE "r" +5 WHEN lead', 1, 28, "names an entity"),
        ('MODEL "m" RULE "r" +5 WHEN EmailClicked CONTEXT all', 1, 49, "CONTEXT ANY"),
        ('MODEL "m" RULE "r" +5 WHEN Lead WHERE name = \'x\' AND', 1, 53, "after AND"),
    ],
)
def test_syntax_errors_have_position_and_hint(text: str, line: int, column: int, hint: str) -> None:
    error = _syntax(text)
    assert (error.line, error.column) == (line, column), error
    assert hint in (error.hint or ""), error
    assert f"line {line}, column {column}" in str(error)


def test_syntax_error_shows_context() -> None:
    error = _syntax('MODEL "m"\nRULE "r" +5\n  WHEN Lead WHERE name == 1')
    assert "WHEN Lead WHERE name == 1" in error.context
    assert error.context.splitlines()[1].index("^") == 24


def test_duplicate_clause_is_an_error() -> None:
    error = _syntax('MODEL "m" SCOPE contact\nSCOPE any RULE "r" +1 WHEN Lead')
    assert (error.line, error.message) == (2, "SCOPE is given twice")


def test_validation_errors_carry_the_line_of_the_element() -> None:
    text = 'MODEL "m"\nRULE "r" +5\n  WHEN Lead\n  AND Lead.contact WHERE cty = \'x\''
    with pytest.raises(ModelInvalid) as caught:
        parse_text(text)
    [error] = caught.value.errors
    assert error.message == "rule 'r': unknown field `cty` on Contact; did you mean `city`?"
    assert (error.path, error.line, error.column) == (
        "rules[0].conditions[1].where[0].field", 4, 26)


def test_header_validation_error_points_at_clause() -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_text('MODEL "m"\n  SCOPE everyone RULE "r" +1 WHEN Lead')
    assert (caught.value.errors[0].path, caught.value.errors[0].line) == ("lead_scope", 2)


def test_fractional_points_are_rejected() -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_text('MODEL "m" RULE "r" +1.5 WHEN Lead')
    assert "points" in caught.value.errors[0].path


def test_strings_escape_quotes_backslashes_and_control_characters() -> None:
    name = "it's \"odd\" \\ \t\n\x00\u2028 ok"
    text = f'MODEL "m" RULE {render_name(name)} +1 WHEN Lead'
    assert parse_text(text).rules[0].name == name


def render_name(name: str) -> str:
    from leadflow.scoring.text_render import quote

    return quote(name, '"')
