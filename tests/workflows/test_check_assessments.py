"""Issue 12, item 6: the check page asks the project office to assess every guideline rule that
needs a human judgement, with the guideline's text beside it; the assessments are stored with
the decision and shown afterwards."""

import pytest
from django.urls import reverse
from django.utils.html import escape
from viewflow.workflow.status import STATUS

from fund_manager.applications import eligibility
from fund_manager.applications.models import RuleAssessment, State
from fund_manager.core.errors import InvalidInput
from fund_manager.core.models import AuditEntry
from policies import guidelines, rules
from policies.findings import REVIEW, RULES
from tests.factories import OrganisationFactory, provider_user
from workflows import services as use_cases

from .helpers import claim, open_check, outsider, snapshot

pytestmark = pytest.mark.django_db

JUDGEMENT = [spec for spec in RULES.values() if spec.judgement]


def url(task):
    return reverse("workflows:check", args=[task.pk])


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


def judged(**kwargs):
    """POST data: every judgement rule assessed (``met`` or ``not_met``), with a reason."""
    choice = kwargs.pop("choice", "met")
    reason = kwargs.pop("reason", "")
    data = {}
    for spec in JUDGEMENT:
        data[rules.assessment_field(spec.id)] = choice
        data[rules.reason_field(spec.id)] = reason
    return {**data, **kwargs}


def state_of(application):
    application.refresh_from_db()
    return application.state


# --- which rules need a judgement ----------------------------------------------------------------
def test_every_rule_that_can_end_in_review_is_marked_as_a_judgement(draft):
    """The rules that return REVIEW for a complete application are exactly the judgement rules,
    and each has the guideline's wording."""
    guideline = guidelines.load("1")
    findings = rules.evaluate(eligibility.facts_for(draft), guideline)
    reviewed = {finding.rule for finding in findings if finding.outcome == REVIEW}
    assert reviewed == {spec.id for spec in rules.judgement_rules(guideline)}
    assert reviewed == {"new_approach"}
    for spec in JUDGEMENT:
        assert spec.text.strip()
    assert "neuer Ansatz zur Integrationsförderung" in RULES["new_approach"].text


def test_a_judgement_rule_without_its_text_is_refused():
    with pytest.raises(ValueError, match="text"):
        rules.rule("x_without_text", title="X", judgement=True)


# --- the page ------------------------------------------------------------------------------------
def test_the_page_lists_every_judgement_rule_with_its_text(office_client, office, submitted):
    task = claim(submitted, office)

    response = office_client.get(url(task))

    content = response.content.decode()
    assert response.status_code == 200
    assert [item["spec"].id for item in response.context["rules_to_assess"]] == [
        spec.id for spec in JUDGEMENT
    ]
    for spec in JUDGEMENT:
        assert escape(spec.title) in content
        assert escape(spec.text) in content
        assert f'name="{rules.assessment_field(spec.id)}"' in content
        assert f'name="{rules.reason_field(spec.id)}"' in content
    # The version file's description and source are beside it too.
    rule = guidelines.load("1").rule("new_approach")
    assert escape(rule.description_de) in content


def test_a_colleague_sees_no_assessment_fields(client, office, office2, submitted):
    task = claim(submitted, office2)
    client.force_login(office)

    content = client.get(url(task)).content.decode()

    assert 'name="assess_new_approach"' not in content
    assert 'name="reason_new_approach"' not in content


# --- refused decisions ---------------------------------------------------------------------------
def test_eligible_is_refused_without_an_assessment(office_client, office, submitted):
    task = claim(submitted, office)
    before = snapshot(submitted)

    response = office_client.post(url(task), {"outcome": "eligible", "note": ""})

    assert response.status_code == 200
    form = response.context["form"]
    assert rules.assessment_field("new_approach") in form.errors
    assert str(rules.NOT_ASSESSED_MET) in form.errors[rules.assessment_field("new_approach")]
    assert snapshot(submitted) == before
    assert RuleAssessment.objects.count() == 0
    assert state_of(submitted) == State.IN_REVIEW
    assert open_check(submitted).status == STATUS.ASSIGNED
    # The error is shown beside the field.
    assert 'id="id_assess_new_approach_error"' in response.content.decode()


def test_eligible_is_refused_when_a_judgement_rule_is_not_met(office_client, office, submitted):
    task = claim(submitted, office)
    before = snapshot(submitted)

    response = office_client.post(
        url(task), judged(choice="not_met", reason="Kein neuer Ansatz.", outcome="eligible")
    )

    assert response.status_code == 200
    assert rules.assessment_field("new_approach") in response.context["form"].errors
    assert snapshot(submitted) == before
    assert RuleAssessment.objects.count() == 0


@pytest.mark.parametrize("outcome", ["ineligible", "changes_requested"])
def test_not_met_without_a_reason_is_refused(office_client, office, submitted, outcome):
    task = claim(submitted, office)
    before = snapshot(submitted)

    response = office_client.post(
        url(task), judged(choice="not_met", reason="   ", outcome=outcome, note="Begründung.")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert str(rules.REASON_NOT_MET) in errors[rules.reason_field("new_approach")]
    assert snapshot(submitted) == before
    assert RuleAssessment.objects.count() == 0


def test_ineligible_needs_a_requirement_not_met(office_client, office, submitted):
    task = claim(submitted, office)
    before = snapshot(submitted)

    response = office_client.post(url(task), judged(outcome="ineligible", note="Passt nicht."))

    assert response.status_code == 200
    assert str(rules.NOTHING_NOT_MET) in response.context["form"].non_field_errors()
    assert snapshot(submitted) == before
    assert RuleAssessment.objects.count() == 0


def test_the_service_refuses_too(office, submitted):
    """The rule holds below the form: the use case refuses an unassessed "eligible"."""
    task = claim(submitted, office)
    before = snapshot(submitted)

    with pytest.raises(InvalidInput) as refused:
        use_cases.complete_check(
            task=task,
            by=office,
            outcome="eligible",
            assessments={"new_approach": rules.Assessment("new_approach", None)},
        )

    assert rules.assessment_field("new_approach") in refused.value.fields
    assert snapshot(submitted) == before


# --- stored and shown ----------------------------------------------------------------------------
def test_eligible_with_every_rule_met_is_stored_and_shown(office_client, office, submitted):
    task = claim(submitted, office)

    response = office_client.post(
        url(task),
        judged(outcome="eligible", reason="Neues Peer-Modell, trägt sich danach."),
        follow=True,
    )

    assert response.redirect_chain == [(reverse("workflows:inbox"), 302)]
    assert state_of(submitted) == State.ELIGIBLE
    stored = RuleAssessment.objects.get(application=submitted)
    assert (stored.rule, stored.met, stored.decision) == ("new_approach", True, "eligible")
    assert stored.reason == "Neues Peer-Modell, trägt sich danach."
    assert stored.assessed_by == office
    assert stored.guideline_check == submitted.guideline_checks.first()
    entry = AuditEntry.objects.for_object(submitted).get(action="application.rules_assessed")
    assert entry.actor == office
    assert entry.data["decision"] == "eligible"
    assert entry.data["assessments"] == [
        {
            "rule": "new_approach",
            "title": RULES["new_approach"].title,
            "met": True,
            "reason": "Neues Peer-Modell, trägt sich danach.",
        }
    ]

    page = office_client.get(url(task))
    content = page.content.decode()
    assert page.context["form"] is None
    assert [item["row"] for item in page.context["assessments"]] == [stored]
    assert "Neues Peer-Modell, trägt sich danach." in content
    assert 'data-rule="new_approach"' in content


def test_ineligible_with_a_rule_not_met_is_stored_with_its_reason(office_client, office, submitted):
    task = claim(submitted, office)

    office_client.post(
        url(task),
        judged(
            choice="not_met",
            reason="Das Angebot gibt es schon.",
            outcome="ineligible",
            note="Kein neuer Ansatz.",
        ),
    )

    assert state_of(submitted) == State.INELIGIBLE
    stored = RuleAssessment.objects.get(application=submitted)
    assert (stored.met, stored.reason, stored.decision) == (
        False,
        "Das Angebot gibt es schon.",
        "ineligible",
    )
    history = office_client.get(url(task)).content.decode()
    assert "Das Angebot gibt es schon." in history


def test_changes_requested_needs_no_assessment(office_client, office, submitted):
    task = claim(submitted, office)

    office_client.post(url(task), {"outcome": "changes_requested", "note": "Bitte Zeitplan."})

    assert state_of(submitted) == State.CHANGES_REQUESTED
    assert RuleAssessment.objects.count() == 0
    assert not AuditEntry.objects.filter(action="application.rules_assessed").exists()


def test_assessments_are_evidence(office, submitted):
    task = claim(submitted, office)
    use_cases.complete_check(
        task=task,
        by=office,
        outcome="eligible",
        assessments={"new_approach": rules.Assessment("new_approach", True)},
    )
    stored = RuleAssessment.objects.get()

    with pytest.raises(TypeError):
        stored.save()
    with pytest.raises(TypeError):
        RuleAssessment.objects.update(met=False)
    with pytest.raises(TypeError):
        RuleAssessment.objects.all().delete()


# --- who may post --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["provider", "finance", "auditor"])
def test_others_cannot_post_assessments(client, office, organisation, submitted, kind):
    task = claim(submitted, office)
    client.force_login(outsider(kind, organisation))
    before = snapshot(submitted)

    response = client.post(url(task), judged(outcome="eligible"))

    assert response.status_code == 403
    assert snapshot(submitted) == before
    assert RuleAssessment.objects.count() == 0


def test_an_office_member_of_the_applicant_cannot_assess(client, office, organisation, submitted):
    task = claim(submitted, office)
    client.force_login(outsider("office_member_of_applicant", organisation))
    before = snapshot(submitted)

    response = client.post(url(task), judged(outcome="eligible"))

    assert response.status_code in (302, 403)
    assert snapshot(submitted) == before
    assert RuleAssessment.objects.count() == 0


def test_a_provider_of_another_organisation_gets_no_page(client, office, submitted):
    task = claim(submitted, office)
    client.force_login(provider_user(OrganisationFactory()))
    assert client.post(url(task), judged(outcome="eligible")).status_code == 403
    assert client.get(url(task)).status_code == 403
    assert RuleAssessment.objects.count() == 0


def test_an_unknown_task_is_404(office_client):
    assert (
        office_client.post(reverse("workflows:check", args=[999999]), judged()).status_code == 404
    )


def test_a_colleague_cannot_decide_a_task_taken_by_someone_else(client, office, office2, submitted):
    task = claim(submitted, office2)
    client.force_login(office)
    before = snapshot(submitted)

    client.post(url(task), judged(outcome="eligible"))

    assert snapshot(submitted) == before
    assert RuleAssessment.objects.count() == 0


def test_no_decision_at_all_asks_only_for_the_decision(office_client, office, submitted):
    task = claim(submitted, office)
    before = snapshot(submitted)

    response = office_client.post(url(task), {"note": ""})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["outcome"]
    assert snapshot(submitted) == before


def test_the_assessment_is_shown_as_required_before_a_decision(office_client, office, submitted):
    task = claim(submitted, office)

    form = office_client.get(url(task)).context["form"]

    assert form.fields[rules.assessment_field("new_approach")].required is True
    assert form.fields[rules.reason_field("new_approach")].required is False
