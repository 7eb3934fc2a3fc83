"""Behaviour of the in-memory evaluator: the exact scoring semantics of SPEC §2."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from leadflow.scoring import LeadFacts, applies

from .builders import (
    LAUNCH,
    NOW,
    SPRING,
    SUMMER,
    account,
    contact,
    facts_for,
    hit,
    lead,
    model,
    one_rule,
    points,
    score,
)


class TestWindows:
    def test_interaction_exactly_n_days_old_no_longer_counts(self) -> None:
        facts = facts_for(interactions=[hit(days_ago=30)])
        assert points("EmailClicked WITHIN 30 DAYS", facts) == 0

    def test_interaction_just_inside_window_counts(self) -> None:
        facts = facts_for(interactions=[hit(days_ago=30 - 1e-6)])
        assert points("EmailClicked WITHIN 30 DAYS", facts) == 1

    def test_interaction_at_as_of_counts_and_after_as_of_does_not(self) -> None:
        assert points("EmailClicked", facts_for(interactions=[hit(days_ago=0)])) == 1
        assert points("EmailClicked", facts_for(interactions=[hit(days_ago=-0.001)])) == 0

    def test_since_counts_from_midnight_utc_of_the_date(self) -> None:
        day = (NOW - timedelta(days=3)).date()
        at_midnight = hit(days_ago=3.5)  # NOW is 12:00, so 3.5 days ago is 00:00 of `day`
        just_before = hit(days_ago=3.5 + 1e-6)
        condition = f"EmailClicked SINCE '{day.isoformat()}'"
        assert points(condition, facts_for(interactions=[at_midnight])) == 1
        assert points(condition, facts_for(interactions=[just_before])) == 0

    def test_behaviour_before_recycle_never_counts(self) -> None:
        facts = facts_for(interactions=[hit(days_ago=5), hit(days_ago=1)],
                          behavior_since=NOW - timedelta(days=2))
        assert score(one_rule("EACH EmailClicked"), facts).score == 5

    def test_score_falls_as_interactions_age(self) -> None:
        facts = facts_for(interactions=[hit(days_ago=1)])
        m = one_rule("EACH EmailClicked WITHIN 7 DAYS")
        assert score(m, facts).score == 5
        assert score(m, facts, NOW + timedelta(days=6)).score == 0


class TestNextChange:
    def test_next_change_is_earliest_expiry_of_a_counted_interaction(self) -> None:
        facts = facts_for(interactions=[hit(days_ago=2, id=1), hit(days_ago=5, id=2)])
        result = score(one_rule("EACH EmailClicked WITHIN 7 DAYS"), facts)
        assert result.next_change_at == NOW + timedelta(days=2)

    def test_no_window_means_no_next_change(self) -> None:
        result = score(one_rule("EACH EmailClicked"), facts_for(interactions=[hit()]))
        assert result.next_change_at is None

    def test_expiry_in_a_none_condition_is_a_change_too(self) -> None:
        facts = facts_for(interactions=[hit("email_bounced", days_ago=29)])
        result = score(one_rule("NONE EmailBounced WITHIN 30 DAYS"), facts)
        assert result.score == 0
        assert result.next_change_at == NOW + timedelta(days=1)
        assert score(one_rule("NONE EmailBounced WITHIN 30 DAYS"), facts,
                     result.next_change_at).score == 5

    def test_interaction_not_matching_where_does_not_set_next_change(self) -> None:
        facts = facts_for(interactions=[hit(days_ago=1, url="other")])
        result = score(one_rule("EmailClicked WHERE url = 'x' WITHIN 7 DAYS"), facts)
        assert result.next_change_at is None


class TestFrequency:
    def test_each_fires_once_per_matching_interaction(self) -> None:
        facts = facts_for(interactions=[hit(id=i) for i in range(3)])
        result = score(one_rule("EACH EmailClicked"), facts)
        assert (result.score, result.rules[0].fires) == (15, 3)

    def test_at_least_holds_once_when_count_reached(self) -> None:
        facts = facts_for(interactions=[hit(id=i) for i in range(3)])
        assert points("AT LEAST 3 EmailClicked", facts) == 1
        assert points("AT LEAST 4 EmailClicked", facts) == 0

    def test_default_frequency_is_at_least_one(self) -> None:
        assert points("EmailClicked", facts_for(interactions=[hit(), hit()])) == 1
        assert points("EmailClicked", facts_for()) == 0

    def test_none_holds_only_without_matching_interactions(self) -> None:
        assert points("NONE EmailBounced", facts_for()) == 1
        assert points("NONE EmailBounced", facts_for(interactions=[hit("email_bounced")])) == 0

    def test_other_interaction_types_are_not_counted(self) -> None:
        assert points("EmailClicked", facts_for(interactions=[hit("email_opened")])) == 0

    def test_custom_interaction_type_counts_by_its_key(self) -> None:
        facts = facts_for(interactions=[hit("webinar_watched", attr={"minutes": 45})])
        assert points("WebinarWatched WHERE attr.minutes >= 30", facts) == 1
        assert points("WebinarWatched WHERE attr.minutes > 45", facts) == 0


class TestRules:
    def test_limit_caps_fires(self) -> None:
        facts = facts_for(interactions=[hit(id=i) for i in range(5)])
        result = score(one_rule("EACH EmailClicked", 5, " LIMIT 2"), facts)
        assert (result.score, result.rules[0].fires, result.rules[0].limit) == (10, 2, 2)

    def test_rule_fires_zero_when_any_condition_fails(self) -> None:
        facts = facts_for(lead(stage="won"), interactions=[hit(), hit()])
        assert points("EACH EmailClicked AND Lead WHERE stage = 'nurture'", facts) == 0
        assert points("EACH EmailClicked AND Lead WHERE stage = 'won'", facts) == 2

    def test_negative_points_subtract(self) -> None:
        m = model('MODEL "m"\nRULE "a" +10 WHEN Lead\nRULE "b" -3 WHEN EACH EmailBounced')
        facts = facts_for(interactions=[hit("email_bounced", id=1), hit("email_bounced", id=2)])
        assert score(m, facts).score == 4

    def test_adjustment_is_added_before_bounds(self) -> None:
        m = model('MODEL "m" BOUNDS 0 TO 100\nRULE "a" +10 WHEN Lead')
        result = score(m, facts_for(adjustment=-25))
        assert (result.score, result.unbounded_score, result.clamped) == (0, -15, True)
        assert result.adjustment == -25

    def test_bounds_clamp_both_ends(self) -> None:
        m = model('MODEL "m" BOUNDS TO 12\nRULE "a" +5 WHEN EACH EmailClicked')
        facts = facts_for(interactions=[hit(id=i) for i in range(4)])
        assert score(m, facts).score == 12

    def test_explanation_lists_matched_ids_capped_at_50(self) -> None:
        facts = facts_for(interactions=[hit(id=i, days_ago=1 + i / 1000) for i in range(60)])
        result = score(one_rule("EACH EmailClicked"), facts)
        cond = result.rules[0].conditions[0]
        assert (cond.held, cond.count, len(cond.matched_ids)) == (True, 60, 50)
        assert cond.matched_ids[0] == 0  # most recent first
        assert result.rules[0].contribution == 300


class TestGradesAndSalesReady:
    M = model('MODEL "m" SALES READY AT 10\nGRADES cold TO 4, warm 5 TO 9, hot 10 TO 20\n'
              'RULE "a" +5 WHEN EACH EmailClicked')

    def test_grade_ranges_are_inclusive(self) -> None:
        grades = [score(self.M, facts_for(interactions=[hit(id=i) for i in range(n)])).grade
                  for n in range(4)]
        assert grades == ["cold", "warm", "hot", "hot"]

    def test_score_outside_all_grades_has_no_grade(self) -> None:
        facts = facts_for(interactions=[hit(id=i) for i in range(5)])
        assert score(self.M, facts).grade is None

    def test_sales_ready_when_score_reaches_threshold(self) -> None:
        one = score(self.M, facts_for(interactions=[hit(id=1)]))
        two = score(self.M, facts_for(interactions=[hit(id=1), hit(id=2)]))
        assert (one.sales_ready, two.sales_ready) == (False, True)

    def test_no_threshold_never_sales_ready(self) -> None:
        assert not score(one_rule("Lead", 500), facts_for()).sales_ready


class TestContext:
    def _facts(self, the_lead: dict[str, Any], **interaction: Any) -> LeadFacts:
        return facts_for(the_lead, interactions=[hit(**interaction)])

    def test_interaction_without_campaign_or_program_counts_everywhere(self) -> None:
        assert points("EmailClicked", self._facts(lead(campaign=SPRING, program=LAUNCH))) == 1

    def test_company_level_lead_counts_every_interaction(self) -> None:
        assert points("EmailClicked", self._facts(lead(), campaign=SUMMER)) == 1

    def test_campaign_lead_counts_only_its_campaign(self) -> None:
        the_lead = lead(campaign=SPRING, program=LAUNCH)
        assert points("EmailClicked", self._facts(the_lead, campaign=SPRING)) == 1
        assert points("EmailClicked", self._facts(the_lead, campaign=SUMMER)) == 0

    def test_campaign_lead_ignores_program_only_interaction(self) -> None:
        the_lead = lead(campaign=SPRING, program=LAUNCH)
        assert points("EmailClicked", self._facts(the_lead, program=LAUNCH)) == 0

    def test_program_lead_counts_program_given_directly_or_through_campaign(self) -> None:
        the_lead = lead(program=LAUNCH)
        assert points("EmailClicked", self._facts(the_lead, program=LAUNCH)) == 1
        assert points("EmailClicked", self._facts(the_lead, campaign=SPRING)) == 1
        assert points("EmailClicked", self._facts(the_lead, campaign=SUMMER)) == 0

    def test_context_any_counts_all(self) -> None:
        the_lead = lead(campaign=SPRING)
        assert points("EmailClicked CONTEXT ANY", self._facts(the_lead, campaign=SUMMER)) == 1


class TestFixedConditions:
    def test_lead_condition_sees_the_lead(self) -> None:
        assert points("Lead WHERE priority = 'high'", facts_for(lead(priority="high"))) == 1

    def test_account_scope_contact_condition_holds_if_any_contact_matches(self) -> None:
        acme = account(name="Acme")
        people = [contact(id=1, city="Boston", account=acme),
                  contact(id=2, city="Chicago", account=acme)]
        facts = facts_for(lead(scope="account", account=acme), people)
        result = score(one_rule("Contact WHERE city = 'chicago'"), facts)
        assert result.score == 5
        assert result.rules[0].conditions[0].matched_ids == (2,)

    def test_contact_condition_without_contacts_does_not_hold(self) -> None:
        assert points("Contact WHERE city IS EMPTY", facts_for(lead(scope="account"), [])) == 0

    def test_account_condition_of_contact_lead_sees_the_contacts_account(self) -> None:
        theirs, other = account(id=1, employees=900), account(id=2, employees=5)
        the_lead = lead(contact=contact(account=theirs), account=other)
        assert points("Account WHERE employees > 500", facts_for(the_lead)) == 1

    def test_account_condition_falls_back_to_the_leads_account(self) -> None:
        the_lead = lead(contact=contact(), account=account(employees=900))
        assert points("Account WHERE employees > 500", facts_for(the_lead)) == 1

    def test_hops_reach_parent_account(self) -> None:
        parent = account(id=9, industry="Retail")
        the_lead = lead(contact=contact(account=account(parent=parent)))
        assert points("Lead.contact.account.parent WHERE industry = 'retail'",
                      facts_for(the_lead)) == 1

    def test_condition_without_where_holds_when_record_exists(self) -> None:
        assert points("Lead.contact.account", facts_for(lead(contact=contact()))) == 0
        the_lead = lead(contact=contact(account=account()))
        assert points("Lead.contact.account", facts_for(the_lead)) == 1

    def test_custom_fields_are_read_by_key(self) -> None:
        the_lead = lead(contact=contact(segment="enterprise"), vip=True)
        assert points("Lead.contact WHERE segment = 'Enterprise'", facts_for(the_lead)) == 1
        assert points("Lead WHERE vip = TRUE", facts_for(the_lead)) == 1


class TestNullRule:
    def test_missing_record_makes_only_is_empty_true(self) -> None:
        facts = facts_for(lead())
        for expr, expected in [("city IS EMPTY", 1), ("city IS NOT EMPTY", 0),
                               ("city != 'x'", 0), ("city NOT IN ('x')", 0),
                               ("city NOT CONTAINS 'x'", 0), ("city = 'x'", 0)]:
            assert points(f"Lead.contact WHERE {expr}", facts) == expected, expr

    def test_null_field_satisfies_only_is_empty(self) -> None:
        facts = facts_for(lead(contact=contact(city=None)))
        assert points("Lead.contact WHERE city IS EMPTY", facts) == 1
        assert points("Lead.contact WHERE city != 'x'", facts) == 0
        assert points("Lead.contact WHERE city NOT IN ('x')", facts) == 0

    def test_empty_string_is_empty_but_still_compares(self) -> None:
        facts = facts_for(lead(contact=contact(city="")))
        assert points("Lead.contact WHERE city IS EMPTY", facts) == 1
        assert points("Lead.contact WHERE city != 'x'", facts) == 1

    def test_null_number_fails_between_and_comparisons(self) -> None:
        facts = facts_for(lead(account=account(employees=None)))
        assert points("Lead.account WHERE employees BETWEEN 0 AND 10", facts) == 0
        assert points("Lead.account WHERE employees < 10", facts) == 0

    def test_null_attribute_on_interaction(self) -> None:
        facts = facts_for(interactions=[hit(attr={})])
        assert points("EmailClicked WHERE attr.note IS EMPTY", facts) == 1
        assert points("EmailClicked WHERE attr.note != 'x'", facts) == 0


class TestComparison:
    def _lead(self, **fields: object) -> LeadFacts:
        return facts_for(lead(contact=contact(**fields)))

    def test_text_comparison_is_case_insensitive(self) -> None:
        facts = self._lead(city="CHICAGO", email="Ana@Microsoft.COM")
        for expr in ["city = 'chicago'", "city IN ('Boston', 'chicago')",
                     "email CONTAINS '@microsoft.com'", "email STARTS WITH 'ana'",
                     "email ENDS WITH '.com'", "city != 'boston'",
                     "email NOT CONTAINS 'google'", "city NOT IN ('boston')"]:
            assert points(f"Lead.contact WHERE {expr}", facts) == 1, expr

    def test_numbers_between_is_inclusive(self) -> None:
        for employees, expected in [(10, 1), (500, 1), (9, 0), (501, 0)]:
            facts = facts_for(lead(account=account(employees=employees)))
            assert points("Lead.account WHERE employees BETWEEN 10 AND 500", facts) == expected

    def test_days_ago_on_datetime_field(self) -> None:
        fresh = facts_for(lead(created_at=NOW - timedelta(days=29)))
        old = facts_for(lead(created_at=NOW - timedelta(days=31)))
        assert points("Lead WHERE created_at > 30 DAYS AGO", fresh) == 1
        assert points("Lead WHERE created_at > 30 DAYS AGO", old) == 0

    def test_days_ago_on_date_field_compares_dates(self) -> None:
        due = (NOW - timedelta(days=3)).date()
        facts = facts_for(lead(due_date=due))
        assert points("Lead WHERE due_date = 3 DAYS AGO", facts) == 1
        assert points("Lead WHERE due_date < 2 DAYS AGO", facts) == 1

    def test_date_value_on_datetime_field_means_midnight_utc(self) -> None:
        created = NOW.replace(hour=0)
        facts = facts_for(lead(created_at=created))
        day = created.date().isoformat()
        assert points(f"Lead WHERE created_at >= '{day}'", facts) == 1
        assert points(f"Lead WHERE created_at = '{day}'", facts) == 1
        assert points(f"Lead WHERE created_at > '{day}'", facts) == 0

    def test_date_field_with_date_value(self) -> None:
        facts = facts_for(lead(due_date=date(2024, 5, 1)))
        assert points("Lead WHERE due_date BETWEEN '2024-05-01' AND '2024-05-31'", facts) == 1

    def test_boolean_equality(self) -> None:
        assert points("Lead WHERE sales_ready = TRUE", facts_for(lead(sales_ready=True))) == 1
        assert points("Lead WHERE sales_ready != TRUE", facts_for(lead(sales_ready=False))) == 1

    def test_attribute_given_as_text_is_read_as_a_number(self) -> None:
        facts = facts_for(interactions=[hit(attr={"minutes": "45"})])
        assert points("WebinarWatched WHERE attr.minutes > 30", facts) == 0
        facts = facts_for(interactions=[hit("webinar_watched", attr={"minutes": "45"})])
        assert points("WebinarWatched WHERE attr.minutes > 30", facts) == 1


class TestApplies:
    def test_lead_scope_must_fit(self) -> None:
        m = model('MODEL "m" SCOPE account\nRULE "a" +1 WHEN Lead')
        assert not applies(m, facts_for(lead(scope="contact")), NOW)
        assert applies(m, facts_for(lead(scope="account")), NOW)

    def test_audience_conditions_must_all_hold(self) -> None:
        m = model('MODEL "m" AUDIENCE Lead WHERE stage = \'nurture\' AND Lead.contact\n'
                  'RULE "a" +1 WHEN Lead')
        assert applies(m, facts_for(lead(stage="nurture", contact=contact())), NOW)
        assert not applies(m, facts_for(lead(stage="nurture")), NOW)
        assert not applies(m, facts_for(lead(stage="won", contact=contact())), NOW)
