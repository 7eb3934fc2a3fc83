"""Known bad inputs of the text form and the hint each deserves (lark `match_examples`)."""

from __future__ import annotations

_RULE = 'MODEL "m"\nRULE "r" +5\n  WHEN '

SYNTAX_HINTS: dict[str, list[str]] = {
    'a model starts with MODEL "name"': [
        'RULE "r" +5 WHEN Lead',
        "GRADES cold TO 10",
        "model",
    ],
    'names and keys are quoted: MODEL "Engagement", RULE "Clicks" +5': [
        "MODEL Engagement",
        'MODEL "m" RULE Clicks +5 WHEN Lead',
        'MODEL "m" KEY engagement',
    ],
    "a rule gives points after its name, e.g. RULE \"Clicks\" +5": [
        'MODEL "m" RULE "r" WHEN Lead',
        'MODEL "m" RULE "r" LIMIT 3 WHEN Lead',
    ],
    "a rule needs WHEN and at least one condition, e.g. WHEN EACH EmailClicked": [
        'MODEL "m" RULE "r" +5',
        'MODEL "m" RULE "r" +5 Lead',
        'MODEL "m" RULE "r" +5 LIMIT 3',
        'MODEL "m" RULE "r" +5 RULE "s" +1 WHEN Lead',
    ],
    "a condition names an entity such as EmailClicked, Lead.contact or Account": [
        _RULE,
        _RULE + "WHERE city = 'x'",
        _RULE + "EACH",
        _RULE + "AT LEAST 3",
        _RULE + "EACH WITHIN 5 DAYS",
    ],
    "write AT LEAST N, e.g. AT LEAST 3 EmailOpened": [
        _RULE + "AT EmailOpened",
        _RULE + "AT 3 EmailOpened",
    ],
    "WHERE is followed by field operator value, e.g. WHERE city = 'Chicago'": [
        _RULE + "Lead WHERE",
        _RULE + "Lead WHERE 'x'",
        _RULE + "Lead WHERE = 'x'",
    ],
    "expected an operator: = != < <= > >= CONTAINS, NOT CONTAINS, STARTS WITH, ENDS WITH, "
    "IN (...), NOT IN (...), BETWEEN a AND b, IS EMPTY, IS NOT EMPTY": [
        _RULE + "Lead WHERE name",
        _RULE + "Lead WHERE name 'x'",
        _RULE + "Lead WHERE name IS 'x'",
        _RULE + "Lead WHERE name NOT 'x'",
        _RULE + "Lead WHERE name STARTS 'x'",
    ],
    "equality is a single =; comparisons are = != <> < <= > >=": [
        _RULE + "Lead WHERE name == 'x'",
        _RULE + "Lead WHERE name =< 'x'",
    ],
    "expected a value: 'text', a number, TRUE, FALSE or N DAYS AGO": [
        _RULE + "Lead WHERE name =",
        _RULE + "Lead WHERE name = RULE",
        _RULE + "Lead WHERE name = city",
        _RULE + "Lead WHERE name CONTAINS",
    ],
    "after AND comes another expression (field operator value) or a new condition "
    "(an entity)": [
        _RULE + "Lead WHERE name = 'x' AND",
        _RULE + "Lead WHERE name = 'x' AND 'y'",
    ],
    "a list is written in parentheses: IN ('a', 'b')": [
        _RULE + "Lead WHERE name IN 'x'",
        _RULE + "Lead WHERE name IN ('x'",
        _RULE + "Lead WHERE name IN ('x' 'y')",
        _RULE + "Lead WHERE name NOT IN 'x'",
    ],
    "write BETWEEN low AND high, e.g. BETWEEN 10 AND 500": [
        _RULE + "Account WHERE employees BETWEEN 10",
        _RULE + "Account WHERE employees BETWEEN 10 500",
        _RULE + "Account WHERE employees BETWEEN 10 AND",
    ],
    "write N DAYS AGO, e.g. created_at > 30 DAYS AGO": [
        _RULE + "Lead WHERE created_at > 30 DAYS",
    ],
    "a window is WITHIN N DAYS or SINCE '2024-01-31'": [
        _RULE + "EmailClicked WITHIN 30",
        _RULE + "EmailClicked WITHIN",
        _RULE + "EmailClicked WITHIN DAYS",
        _RULE + "EmailClicked SINCE",
        _RULE + "EmailClicked SINCE 2024",
    ],
    "write CONTEXT ANY (or CONTEXT LEAD, the default)": [
        _RULE + "EmailClicked CONTEXT",
        _RULE + "EmailClicked CONTEXT all",
    ],
    "grades are written: GRADES cold TO 29, warm 30 TO 69, hot FROM 70": [
        'MODEL "m" GRADES',
        'MODEL "m" GRADES cold 5',
        'MODEL "m" GRADES cold TO',
        'MODEL "m" GRADES cold TO 5 warm FROM 6',
        'MODEL "m" GRADES cold TO 5,',
    ],
    "bounds are written BOUNDS 0 TO 100, BOUNDS FROM 0 or BOUNDS TO 100": [
        'MODEL "m" BOUNDS',
        'MODEL "m" BOUNDS 0',
        'MODEL "m" BOUNDS 0 100',
    ],
    "write SALES READY AT N, e.g. SALES READY AT 100": [
        'MODEL "m" SALES',
        'MODEL "m" SALES READY',
        'MODEL "m" SALES READY AT',
        'MODEL "m" SALES READY 100',
    ],
    "write SCOPE contact, SCOPE account or SCOPE any": [
        'MODEL "m" SCOPE',
        'MODEL "m" SCOPE "contact"',
        'MODEL "m" SCOPE CONTACT',
    ],
    "targets are CAMPAIGN 'key', PROGRAM 'key' or COMPANY, separated by commas": [
        'MODEL "m" APPLIES TO',
        'MODEL "m" APPLIES',
        "MODEL \"m\" APPLIES TO CAMPAIGN",
        "MODEL \"m\" APPLIES TO CAMPAIGN spring",
        "MODEL \"m\" APPLIES TO spring",
    ],
    "LIMIT takes a number, e.g. LIMIT 10": [
        'MODEL "m" RULE "r" +5 LIMIT WHEN Lead',
    ],
}
