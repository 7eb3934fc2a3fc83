"""Hand-written parity cases, one per tricky rule of the scoring semantics: each scores a small
world in memory and in SQL, checks both agree (`both`/`scores`), and checks the expected value."""

from __future__ import annotations

from datetime import timedelta

from leadflow.db.database import Database
from tests.unit.scoring.strategies import AS_OF

from .builders_db import account, both, contact, hit, lead, model, rule, scores, world

MICRO = 1e-6 / 86400  # one microsecond, in days


class TestWindows:
    def test_interaction_exactly_n_days_old_no_longer_counts(self, db: Database) -> None:
        w = world(interactions=[hit(days_ago=30), hit(days_ago=30 - MICRO),
                                hit(days_ago=0), hit(days_ago=-MICRO)])
        assert scores(db, rule("EACH EmailClicked WITHIN 30 DAYS"), w) == [2]

    def test_since_counts_from_midnight_utc(self, db: Database) -> None:
        day = (AS_OF - timedelta(days=3)).date()  # AS_OF is 12:00, so 3.5 days ago is 00:00
        w = world(interactions=[hit(days_ago=3.5), hit(days_ago=3.5 + MICRO)])
        assert scores(db, rule(f"EACH EmailClicked SINCE '{day}'"), w) == [1]

    def test_interactions_after_as_of_never_count(self, db: Database) -> None:
        w = world(interactions=[hit(days_ago=-1)])
        assert scores(db, rule("EACH EmailClicked"), w) == [0]
        assert scores(db, rule("EACH EmailClicked"), w, AS_OF + timedelta(days=2)) == [1]

    def test_recycle_cut_off_only_with_the_setting(self, db: Database) -> None:
        hits = [hit(days_ago=5), hit(days_ago=1), hit(days_ago=2)]
        recycled = [lead(recycled_at=AS_OF - timedelta(days=2)), lead()]
        m = rule("EACH EmailClicked")
        assert scores(db, m, world(recycled, interactions=hits)) == [2, 3]
        assert scores(db, m, world(recycled, interactions=hits, recycle_resets=False)) == [3, 3]

    def test_leads_sharing_contacts_and_cut_offs(self, db: Database) -> None:
        # Three account leads over the same two contacts: two recycled at one moment (their
        # interactions are counted once for both), one at another; a contact-scope lead of
        # contact 0 recycled at the first moment too, and one not recycled.
        lately, earlier = AS_OF - timedelta(days=2), AS_OF - timedelta(days=4)
        leads = [lead(scope="account", account=0, contact=None, recycled_at=lately),
                 lead(scope="account", account=0, contact=None, recycled_at=lately),
                 lead(scope="account", account=0, contact=None, recycled_at=earlier),
                 lead(contact=0, recycled_at=lately), lead(contact=1)]
        w = world(leads, accounts=[account()], contacts=[contact(account=0), contact(account=0)],
                  interactions=[hit(contact=0, days_ago=1), hit(contact=1, days_ago=3),
                                hit(contact=1, days_ago=1), hit(contact=0, days_ago=5)])
        m = rule("EACH EmailClicked WITHIN 30 DAYS")
        assert scores(db, m, w) == [2, 2, 3, 1, 2]
        assert scores(db, m, world(leads, accounts=[account()],
                                   contacts=[contact(account=0), contact(account=0)],
                                   interactions=w.interactions, recycle_resets=False)
                      ) == [4, 4, 4, 2, 2]

    def test_next_change_is_the_first_counted_interaction_to_leave_its_window(
            self, db: Database) -> None:
        # 10.5 days + a microsecond ago, in a 15-day window: it expires 4.5 days minus a
        # microsecond from now, before the 30-day window's oldest (20 days ago → in 10 days).
        w = world([lead(), lead(contact=1)], contacts=[contact(), contact()],
                  interactions=[hit(days_ago=20), hit(days_ago=10.5 + MICRO),
                                hit("email_opened", days_ago=40)])
        m = model('MODEL "m"\nRULE "A" +1 WHEN EACH EmailClicked WITHIN 30 DAYS\n'
                  'RULE "B" +1 WHEN AT LEAST 3 EmailClicked WITHIN 15 DAYS\n'
                  'RULE "C" +1 WHEN NONE EmailOpened WITHIN 60 DAYS')
        first, second = both(db, m, w)
        assert first is not None and second is not None
        expected = AS_OF + timedelta(days=4.5) - timedelta(microseconds=1)
        assert first[4] == expected
        assert second[4] is None  # contact 1 has no interaction: nothing can expire

    def test_none_holds_without_matching_interactions(self, db: Database) -> None:
        w = world([lead(), lead(contact=1)], contacts=[contact(), contact()],
                  interactions=[hit("email_opened", days_ago=10)])
        assert scores(db, rule("NONE EmailOpened WITHIN 7 DAYS"), w) == [1, 1]
        assert scores(db, rule("NONE EmailOpened WITHIN 30 DAYS"), w) == [0, 1]


class TestNullsAndText:
    def test_only_is_empty_holds_on_null(self, db: Database) -> None:
        w = world([lead(), lead(contact=1), lead(contact=2)],
                  contacts=[contact(), contact(city=""), contact(city="Boston")])
        for condition, expected in [
            ("Contact WHERE city IS EMPTY", [1, 1, 0]),
            ("Contact WHERE city IS NOT EMPTY", [0, 0, 1]),
            ("Contact WHERE city != 'x'", [0, 1, 1]),
            ("Contact WHERE city NOT IN ('x', 'y')", [0, 1, 1]),
            ("Contact WHERE city NOT CONTAINS 'x'", [0, 1, 1]),
            ("Contact WHERE city STARTS WITH ''", [0, 1, 1]),
        ]:
            assert scores(db, rule(condition), w) == expected, condition

    def test_missing_related_record_makes_where_false_but_is_empty_true(
        self, db: Database
    ) -> None:
        w = world([lead(), lead(contact=None)])
        assert scores(db, rule("Lead.contact.account WHERE name IS EMPTY"), w) == [1, 1]
        assert scores(db, rule("Lead.contact.account WHERE name != 'x'"), w) == [0, 0]
        assert scores(db, rule("Lead.contact"), w) == [1, 0]
        assert scores(db, rule("Contact WHERE city IS EMPTY"), w) == [1, 0]

    def test_text_is_compared_case_insensitively(self, db: Database) -> None:
        w = world([lead(contact=i) for i in range(3)],
                  contacts=[contact(city="CHICAGO"), contact(city="München"),
                            contact(city="chicagoland")])
        assert scores(db, rule("Contact WHERE city = 'Chicago'"), w) == [1, 0, 0]
        assert scores(db, rule("Contact WHERE city = 'MÜNCHEN'"), w) == [0, 1, 0]
        assert scores(db, rule("Contact WHERE city IN ('münchen', 'x')"), w) == [0, 1, 0]
        assert scores(db, rule("Contact WHERE city STARTS WITH 'CHIC'"), w) == [1, 0, 1]
        assert scores(db, rule("Contact WHERE city ENDS WITH 'LAND'"), w) == [0, 0, 1]

    def test_like_wildcards_in_literals_are_plain_characters(self, db: Database) -> None:
        w = world([lead(contact=i) for i in range(3)],
                  contacts=[contact(job_title="50%_off/now"), contact(job_title="50 Xoff"),
                            contact(job_title="5__")])
        assert scores(db, rule("Contact WHERE job_title CONTAINS '%_'"), w) == [1, 0, 0]
        assert scores(db, rule("Contact WHERE job_title CONTAINS 'f/n'"), w) == [1, 0, 0]
        assert scores(db, rule("Contact WHERE job_title ENDS WITH '_'"), w) == [0, 0, 1]
        assert scores(db, rule("Contact WHERE job_title STARTS WITH '50%'"), w) == [1, 0, 0]

    def test_numbers_between_and_in(self, db: Database) -> None:
        w = world([lead(contact=i) for i in range(3)],
                  contacts=[contact(account=0), contact(account=1), contact(account=2)],
                  accounts=[account(employees=10), account(employees=500),
                            account(employees=None)])
        assert scores(db, rule("Account WHERE employees BETWEEN 10 AND 500"), w) == [1, 1, 0]
        assert scores(db, rule("Account WHERE employees IN (500, 7)"), w) == [0, 1, 0]
        assert scores(db, rule("Account WHERE employees > 10.5"), w) == [0, 1, 0]


class TestScopes:
    def test_account_scope_lead_counts_every_contact_of_its_account(self, db: Database) -> None:
        w = world([lead(scope="account", account=0, contact=None), lead(contact=1)],
                  accounts=[account()],
                  contacts=[contact(account=0), contact(account=0), contact()],
                  interactions=[hit(contact=0), hit(contact=1), hit(contact=2)])
        assert scores(db, rule("EACH EmailClicked"), w) == [2, 1]

    def test_contact_condition_on_account_scope_means_any_contact(self, db: Database) -> None:
        w = world([lead(scope="account", account=0, contact=None),
                   lead(scope="account", account=1, contact=0),
                   lead(scope="account", account=None)],
                  accounts=[account(), account()],
                  contacts=[contact(account=0, city="x"), contact(account=0, city="Chicago")])
        assert scores(db, rule("Contact WHERE city = 'chicago'"), w) == [1, 0, 0]
        assert scores(db, rule("Contact"), w) == [1, 0, 0]

    def test_account_root_falls_back_to_the_lead_account(self, db: Database) -> None:
        w = world([lead(contact=0, account=1), lead(contact=1, account=1),
                   lead(scope="account", contact=0, account=1)],
                  accounts=[account(name="Own"), account(name="Lead's")],
                  contacts=[contact(account=0), contact()])
        assert scores(db, rule("Account WHERE name = 'own'"), w) == [1, 0, 0]
        assert scores(db, rule("Account WHERE name = \"lead's\""), w) == [0, 1, 1]

    def test_lead_scope_and_audience_choose_the_leads(self, db: Database) -> None:
        w = world([lead(), lead(scope="account", account=0), lead(priority="high")],
                  accounts=[account()])
        m = model('MODEL "m" SCOPE contact AUDIENCE Lead WHERE priority = \'high\'\n'
                  'RULE "R" +1 WHEN Lead')
        assert scores(db, m, w) == [None, None, 1]


class TestLeadContext:
    HITS = [hit(), hit(campaign="c1"), hit(campaign="c2"), hit(program="p1"),
            hit(campaign="c3", program="p1"), hit(campaign="c1", program="p2")]

    def test_context_rule(self, db: Database) -> None:
        leads = [lead(campaign="c1", program="p2"), lead(program="p1"), lead(), lead(campaign="c3")]
        w = world(leads, interactions=self.HITS)
        # campaign lead: its campaign, or no context; program lead: program directly or
        # through the campaign; company lead: everything.
        assert scores(db, rule("EACH EmailClicked"), w) == [3, 5, 6, 2]
        assert scores(db, rule("EACH EmailClicked CONTEXT ANY"), w) == [6, 6, 6, 6]


class TestTypedValues:
    def test_custom_fields_of_each_type(self, db: Database) -> None:
        customs = [{"budget": 45, "renewal": "2024-05-01", "segment": "SMB", "vip": True},
                   {"budget": "45", "renewal": "2024-02-30", "segment": "smb", "vip": "true"},
                   {"budget": "abc", "renewal": "soon", "segment": 5, "vip": 1},
                   {}]
        w = world([lead(contact=i, custom={"vip": c.get("vip")} if "vip" in c else {})
                   for i, c in enumerate(customs)],
                  contacts=[contact(account=i, custom={"segment": c["segment"]} if c else {})
                            for i, c in enumerate(customs)],
                  accounts=[account(custom={k: c[k] for k in ("budget", "renewal")} if c else {})
                            for c in customs])
        assert scores(db, rule("Account WHERE budget > 40"), w) == [1, 1, 0, 0]
        assert scores(db, rule("Account WHERE budget IS EMPTY"), w) == [0, 0, 0, 1]
        assert scores(db, rule("Account WHERE renewal < '2024-06-01'"), w) == [1, 0, 0, 0]
        assert scores(db, rule("Contact WHERE segment = 'smb'"), w) == [1, 1, 0, 0]
        assert scores(db, rule("Lead WHERE vip = TRUE"), w) == [1, 1, 1, 0]

    def test_interaction_attributes_of_each_type(self, db: Database) -> None:
        hits = [hit("webinar_watched", attributes={"minutes": 45, "note": "Great"}),
                hit("webinar_watched", attributes={"minutes": "30", "note": 10}),
                hit("webinar_watched", attributes={"minutes": "3O"}),
                hit("website_visited", attributes={"pricing": True}),
                hit("website_visited", attributes={"pricing": "0"})]
        w = world(interactions=hits)
        assert scores(db, rule("EACH WebinarWatched WHERE attr.minutes >= 30"), w) == [2]
        assert scores(db, rule("EACH WebinarWatched WHERE attr.note = 'GREAT'"), w) == [1]
        assert scores(db, rule("EACH WebinarWatched WHERE attr.note = '10'"), w) == [1]
        assert scores(db, rule("EACH WebinarWatched WHERE attr.note IS EMPTY"), w) == [1]
        assert scores(db, rule("EACH WebsiteVisited WHERE attr.pricing = FALSE"), w) == [1]

    def test_days_ago_on_dates_and_date_times(self, db: Database) -> None:
        week = AS_OF - timedelta(days=7)
        w = world([lead(due_date=week.date(), created_at=week),
                   lead(due_date=(week - timedelta(days=1)).date(),
                        created_at=week - timedelta(hours=1))])
        assert scores(db, rule("Lead WHERE due_date >= 7 DAYS AGO"), w) == [1, 0]
        assert scores(db, rule("Lead WHERE created_at >= 7 DAYS AGO"), w) == [1, 0]
        assert scores(db, rule("Lead WHERE created_at > 7 DAYS AGO"), w) == [0, 0]
        day = week.date().isoformat()
        assert scores(db, rule(f"Lead WHERE created_at >= '{day}'"), w) == [1, 1]


class TestScore:
    def test_limit_negative_points_bounds_grades_and_sales_ready(self, db: Database) -> None:
        w = world([lead(), lead(contact=1)], contacts=[contact(), contact()],
                  interactions=[hit() for _ in range(5)] + [hit("email_opened", contact=1)],
                  adjustments=[(1, 3), (1, 4)])
        m = model('MODEL "m" SALES READY AT 12 BOUNDS 0 TO 12\n'
                  'GRADES cold TO 4, warm 5 TO 11, hot FROM 12\n'
                  'RULE "Clicks" +4 LIMIT 4 WHEN EACH EmailClicked\n'
                  'RULE "Opens" -9 WHEN EmailOpened')
        assert both(db, m, w) == [(12, "hot", True, (4, 0), None), (0, "cold", False, (0, 1), None)]

    def test_only_the_company_and_the_filtered_leads_are_scored(self, db: Database) -> None:
        w = world([lead(), lead()], interactions=[hit()])
        other = world([lead(), lead(scope="account", account=0)], accounts=[account()],
                      contacts=[contact(account=0)], interactions=[hit(), hit()])
        m = rule("EACH EmailClicked")
        assert both(db, m, w, neighbour=other) == [(1, None, False, (1,), None)] * 2
        first = both(db, m, w, lead_filter=lambda written: {written.lead_ids[0]})
        assert first == [(1, None, False, (1,), None), None]
