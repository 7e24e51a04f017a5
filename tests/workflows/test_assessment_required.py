"""No path around the human judgement: ``complete_check`` and ``review`` always judge the
assessments (None = none given), whoever calls them (check page, API, demo seeder)."""

import pytest

from fund_manager.applications.models import Application, RuleAssessment, State
from fund_manager.core.errors import InvalidInput
from fund_manager.core.models import AuditEntry
from policies import rules
from workflows import services as process

from .helpers import claim, decide, snapshot


def refused(call):
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.fields


@pytest.mark.parametrize("assessments", [None, {}], ids=["none", "empty"])
def test_the_service_refuses_eligible_without_the_assessment(submitted, office, assessments):
    task = claim(submitted, office)
    before = snapshot(submitted)

    fields = refused(
        lambda: process.complete_check(
            task=task, by=office, outcome="eligible", assessments=assessments
        )
    )

    assert fields == {"assess_new_approach": [rules.NOT_ASSESSED_MET]}
    assert snapshot(submitted) == before
    assert not RuleAssessment.objects.exists()


def test_the_default_argument_is_none_given(submitted, office):
    """Leaving the argument out is no way around it either."""
    task = claim(submitted, office)
    before = snapshot(submitted)

    fields = refused(lambda: process.complete_check(task=task, by=office, outcome="eligible"))

    assert set(fields) == {"assess_new_approach"}
    assert snapshot(submitted) == before


def test_review_refuses_eligible_without_the_assessment_and_leaves_the_task(submitted, office):
    before = snapshot(submitted)
    audit = AuditEntry.objects.count()

    fields = refused(
        lambda: process.review(application=submitted, by=office, outcome="eligible", note="")
    )

    assert set(fields) == {"assess_new_approach"}
    assert snapshot(submitted) == before  # the task was not even taken
    assert AuditEntry.objects.count() == audit
    assert Application.objects.get(pk=submitted.pk).state == State.SUBMITTED


def test_eligible_with_the_rule_not_met_is_refused(submitted, office):
    before = snapshot(submitted)

    fields = refused(
        lambda: process.review(
            application=submitted,
            by=office,
            outcome="eligible",
            assessments={"new_approach": rules.Assessment("new_approach", False, "Nicht neu.")},
        )
    )

    assert set(fields) == {"assess_new_approach"}
    assert snapshot(submitted) == before


def test_not_met_needs_a_reason(submitted, office):
    before = snapshot(submitted)

    fields = refused(
        lambda: process.review(
            application=submitted,
            by=office,
            outcome="ineligible",
            note="Kein neuer Ansatz.",
            assessments={"new_approach": rules.Assessment("new_approach", False, "  ")},
        )
    )

    assert fields == {"reason_new_approach": [rules.REASON_NOT_MET]}
    assert snapshot(submitted) == before


def test_ineligible_without_any_assessment_is_refused(submitted, office):
    """The check found every rule met: the reason has to be a judgement not met."""
    before = snapshot(submitted)

    fields = refused(
        lambda: process.review(
            application=submitted, by=office, outcome="ineligible", note="Passt nicht."
        )
    )

    assert fields == {None: [rules.NOTHING_NOT_MET]}
    assert snapshot(submitted) == before


def test_changes_requested_needs_no_assessment(submitted, office):
    decided = process.review(
        application=submitted, by=office, outcome="changes_requested", note="Bitte Zeitplan."
    )

    assert decided.state == State.CHANGES_REQUESTED
    assert not RuleAssessment.objects.exists()


def test_the_helper_decides_with_the_assessment_and_stores_it(submitted, office):
    decided = decide(submitted, office, "eligible")

    assert decided.state == State.ELIGIBLE
    row = RuleAssessment.objects.get(application=submitted)
    assert (row.rule, row.met, row.decision) == ("new_approach", True, "eligible")
