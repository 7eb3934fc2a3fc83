"""Which models score a lead (`all` and `context` selection) and assignment conflicts."""

from __future__ import annotations

import pytest

from leadflow.scoring import ModelInvalid, check_assignment_conflicts, select_models

from .builders import LAUNCH, NOW, SPRING, facts_for, lead, model


def _model(key: str, extra: str = "") -> object:
    return model(f'MODEL "{key}" {extra}\nRULE "r" +1 WHEN Lead')


CAMPAIGN = model('MODEL "c" APPLIES TO CAMPAIGN \'spring\'\nRULE "r" +1 WHEN Lead')
PROGRAM = model('MODEL "p" APPLIES TO PROGRAM \'launch\'\nRULE "r" +1 WHEN Lead')
COMPANY = model('MODEL "co" APPLIES TO COMPANY\nRULE "r" +1 WHEN Lead')
ACCOUNTS = model('MODEL "acc" SCOPE account APPLIES TO COMPANY\nRULE "r" +1 WHEN Lead')


def test_all_selects_every_fitting_model() -> None:
    choice = select_models([CAMPAIGN, PROGRAM, ACCOUNTS], facts_for(lead()), "all", NOW)
    assert [m.key for m in choice.models] == ["c", "p"]


def test_context_campaign_lead_gets_the_campaign_model() -> None:
    facts = facts_for(lead(campaign=SPRING, program=LAUNCH))
    assert select_models([COMPANY, PROGRAM, CAMPAIGN], facts, "context", NOW).models == (
        CAMPAIGN,)


def test_campaign_without_model_gives_no_score_even_if_program_has_one() -> None:
    facts = facts_for(lead(campaign=SPRING, program=LAUNCH))
    choice = select_models([PROGRAM, COMPANY], facts, "context", NOW)
    assert (choice.models, choice.reason) == ((), "campaign 'spring' has no scoring model")


def test_program_lead_gets_the_program_model_not_the_company_one() -> None:
    facts = facts_for(lead(program=LAUNCH))
    assert select_models([COMPANY, PROGRAM], facts, "context", NOW).models == (PROGRAM,)
    assert select_models([COMPANY], facts, "context", NOW).reason == (
        "program 'launch' has no scoring model")


def test_company_lead_gets_the_company_model() -> None:
    assert select_models([COMPANY], facts_for(lead()), "context", NOW).models == (COMPANY,)
    assert select_models([], facts_for(lead()), "context", NOW).reason == (
        "the company has no scoring model")


def test_context_model_must_still_fit_the_lead() -> None:
    choice = select_models([ACCOUNTS], facts_for(lead(scope="contact")), "context", NOW)
    assert choice.models == () and "does not fit" in (choice.reason or "")


def test_target_assigned_to_two_live_models_is_a_conflict() -> None:
    other = model('MODEL "c2" APPLIES TO CAMPAIGN \'spring\', COMPANY\nRULE "r" +1 WHEN Lead')
    with pytest.raises(ModelInvalid) as caught:
        check_assignment_conflicts([CAMPAIGN, COMPANY, other])
    messages = [e.message for e in caught.value.errors]
    assert messages == ["campaign 'spring' is assigned to several live models: c, c2",
                        "the company is assigned to several live models: co, c2"]
    check_assignment_conflicts([CAMPAIGN, PROGRAM, COMPANY])


def test_unknown_selection_setting_is_rejected() -> None:
    with pytest.raises(ValueError):
        select_models([], facts_for(lead()), "some")
