"""applications.eligibility: the facts taken from an application, submission blocked by failed
guideline rules, and the guideline version pinned at submission (policies/guidelines)."""

import datetime
import shutil
from decimal import Decimal

import pytest
import time_machine
import yaml
from django.utils import timezone

from fund_manager.applications import eligibility, services
from fund_manager.applications.models import GuidelineCheck, State
from fund_manager.applications.services import ApplicationError
from fund_manager.core.errors import InvalidInput
from fund_manager.core.models import AuditEntry
from fund_manager.organisations.models import Organisation
from policies import guidelines
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    FundFactory,
    OrganisationFactory,
    TargetGroupFactory,
    force_state_with_approval,
    provider_user,
    user_with_role,
)
from tests.workflows.helpers import assessments_for
from workflows import services as process
from workflows.models import ApplicationProcess

pytestmark = pytest.mark.django_db

V1_FILE = guidelines.DIRECTORY / "v1.yaml"


def nothing_happened(application):
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.reference is None
    assert application.submitted_at is None
    assert application.guideline_version == ""
    assert not GuidelineCheck.objects.filter(application=application).exists()
    assert not ApplicationProcess.objects.filter(application=application).exists()
    assert not AuditEntry.objects.for_object(application).exists()


def outcomes(findings):
    return {finding["rule"]: finding["outcome"] for finding in findings}


def failed_rules(error):
    return sorted(message.split(":", 1)[0] for message in error.fields["guidelines"])


def decide(application, by, outcome, note=""):
    task = process.claim_check(task=process.open_task(application), by=by)
    return process.complete_check(
        task=task, by=by, outcome=outcome, note=note, assessments=assessments_for(outcome)
    )


# --- facts_for ------------------------------------------------------------------------------------
def test_facts_for_maps_the_application():
    year = FiscalYearFactory()
    fund = year.fund
    field = ActionFieldFactory(fund=fund, code="wohnen")
    ActionFieldFactory(fund=fund, code="teilhabe")
    ActionFieldFactory(fund=fund, code="alt", active=False)
    other_fund = FundFactory(code="quartier", name="Quartiersfonds")
    ActionFieldFactory(fund=other_fund, code="fremd")
    group_b = TargetGroupFactory(fund=fund, code="suedosteuropa")
    group_a = TargetGroupFactory(fund=fund, code="bleibeperspektive")
    TargetGroupFactory(fund=fund, code="frueher", active=False)
    TargetGroupFactory(fund=other_fund, code="fremdgruppe")
    organisation = OrganisationFactory(kind=Organisation.Kind.INITIATIVE)
    application = ApplicationFactory(
        fiscal_year=year,
        organisation=organisation,
        action_field=field,
        target_groups=[group_b, group_a],
        project_kind="short_term",
        approach="  Neuer Ansatz.  ",
        declares_new_approach=False,
        declares_sustainable=True,
        declares_not_otherwise_financeable=True,
        start_date=datetime.date(2030, 3, 1),
        end_date=datetime.date(2030, 9, 30),
        own_funds=Decimal("100.00"),
        third_party_funds=Decimal("34.56"),
        cost_items=[Decimal("1000.00"), Decimal("200.00"), Decimal("34.56")],
    )

    facts = eligibility.facts_for(application, on=datetime.date(2030, 2, 1))

    assert facts.organisation_kind == "initiative"
    assert facts.action_field_code == "wohnen"
    assert facts.valid_action_field_codes == frozenset({"wohnen", "teilhabe"})
    assert facts.target_group_codes == ("bleibeperspektive", "suedosteuropa")
    assert facts.valid_target_group_codes == frozenset({"suedosteuropa", "bleibeperspektive"})
    assert facts.project_kind == "short_term"
    assert facts.approach_text == "  Neuer Ansatz.  "
    assert (
        facts.declares_not_otherwise_financeable,
        facts.declares_new_approach,
        facts.declares_sustainable,
    ) == (True, False, True)
    assert (facts.start_date, facts.end_date) == (
        datetime.date(2030, 3, 1),
        datetime.date(2030, 9, 30),
    )
    assert facts.submitted_on == datetime.date(2030, 2, 1)
    assert facts.fiscal_year == year.year
    assert facts.total_costs == Decimal("1234.56")
    assert facts.own_funds == Decimal("100.00")
    assert facts.third_party_funds == Decimal("34.56")
    assert facts.requested_amount == Decimal("1100.00")
    assert all(
        isinstance(value, Decimal)
        for value in (
            facts.total_costs,
            facts.own_funds,
            facts.third_party_funds,
            facts.requested_amount,
        )
    )
    assert facts.cost_item_count == 3
    assert facts.open_duplicates == ()


def test_facts_for_an_incomplete_draft():
    application = ApplicationFactory(
        action_field=None,
        target_groups=[],
        project_kind="",
        start_date=None,
        end_date=None,
        cost_items=[],
    )

    facts = eligibility.facts_for(application)

    assert facts.action_field_code is None
    assert facts.target_group_codes == ()
    assert (facts.start_date, facts.end_date) == (None, None)
    assert facts.submitted_on == timezone.localdate()
    assert facts.cost_item_count == 0
    assert facts.total_costs == Decimal("0.00")


def test_the_stored_facts_are_plain_json_with_amounts_as_text(submitted):
    check = GuidelineCheck.objects.get(application=submitted)

    assert check.facts["requested_amount"] == "1134.56"
    assert check.facts["total_costs"] == "1234.56"
    assert check.facts["submitted_on"] == timezone.localdate().isoformat()
    assert check.facts["fiscal_year"] == submitted.fiscal_year.year
    assert isinstance(check.facts["valid_action_field_codes"], list)


# --- open_duplicates ------------------------------------------------------------------------------
@pytest.fixture
def project(organisation, provider):
    return ApplicationFactory(
        organisation=organisation, created_by=provider, title="Straßenfest für Alle"
    )


def same_org(organisation, title, state=None):
    application = ApplicationFactory(organisation=organisation, title=title)
    if state is not None:
        force_state_with_approval(application, state)
    return application


def test_open_duplicates_ignores_case_and_whitespace(organisation, provider, project):
    other = ApplicationFactory(organisation=organisation, title="  STRASSENFEST   für\talle ")
    other = process.submit_application(application=other, by=provider)

    assert eligibility.open_duplicates(project) == (other.reference,)


@pytest.mark.parametrize(
    "state",
    list(eligibility.OPEN_STATES),
)
def test_open_duplicates_finds_every_open_state(organisation, project, state):
    same_org(organisation, "straßenfest für alle", state)

    assert eligibility.open_duplicates(project) == ("–",)  # forced rows have no reference


@pytest.mark.parametrize(
    "state",
    [
        State.DRAFT,
        State.WITHDRAWN,
        State.INELIGIBLE,
        State.REJECTED,
        State.CLOSED,
        State.REVOKED,
        State.WAIVED,
    ],
)
def test_open_duplicates_ignores_closed_states_and_drafts(organisation, project, state):
    same_org(organisation, "Straßenfest für Alle", state)

    assert eligibility.open_duplicates(project) == ()


def test_open_duplicates_ignores_other_organisations_other_titles_and_itself(
    organisation, provider, project
):
    process.submit_application(application=project, by=provider)
    other_organisation = OrganisationFactory()
    foreign = ApplicationFactory(organisation=other_organisation, title="Straßenfest für Alle")
    process.submit_application(application=foreign, by=provider_user(other_organisation))
    same_org(organisation, "Straßenfest für alle 2026", State.SUBMITTED)

    assert eligibility.open_duplicates(project) == ()


def test_a_withdrawn_duplicate_no_longer_counts(organisation, provider, project):
    first = ApplicationFactory(organisation=organisation, title="Straßenfest für Alle")
    first = process.submit_application(application=first, by=provider)
    assert eligibility.open_duplicates(project) == (first.reference,)

    process.withdraw_application(application=first, by=provider)

    assert eligibility.open_duplicates(project) == ()
    submitted = process.submit_application(application=project, by=provider)
    assert submitted.state == State.SUBMITTED


def test_an_open_duplicate_blocks_the_submission(organisation, provider, project):
    first = ApplicationFactory(organisation=organisation, title="straßenfest für alle")
    first = process.submit_application(application=first, by=provider)

    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=project, by=provider)

    assert caught.value.code == "guidelines_failed"
    assert failed_rules(caught.value) == ["Keine Doppelförderung"]
    assert first.reference in caught.value.fields["guidelines"][0]
    nothing_happened(project)


# --- failed rules block the submission ------------------------------------------------------------
def test_a_requested_amount_over_the_maximum_blocks_the_submission(organisation, provider):
    draft = ApplicationFactory(
        organisation=organisation, cost_items=[Decimal("12100.00")], own_funds=Decimal("100.00")
    )
    assert draft.requested_amount == Decimal("12000.00")

    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=draft, by=provider)

    assert caught.value.code == "guidelines_failed"
    assert set(caught.value.fields) == {"guidelines"}
    assert failed_rules(caught.value) == ["Förderbetrag"]
    assert "12.000,00" in caught.value.fields["guidelines"][0]
    nothing_happened(draft)


def test_exactly_the_maximum_may_be_submitted(organisation, provider):
    draft = ApplicationFactory(
        organisation=organisation, cost_items=[Decimal("10100.00")], own_funds=Decimal("100.00")
    )

    submitted = process.submit_application(application=draft, by=provider)

    assert submitted.state == State.SUBMITTED
    check = GuidelineCheck.objects.get(application=submitted)
    assert outcomes(check.findings)["amount_range"] == "pass"


def next_year_dates(year, end):
    return {"start_date": datetime.date(year + 1, 1, 1), "end_date": end}


def test_an_end_more_than_six_months_after_the_fiscal_year_blocks_the_submission(
    organisation, provider
):
    year = FiscalYearFactory()
    draft = ApplicationFactory(
        organisation=organisation,
        fiscal_year=year,
        **next_year_dates(year.year, datetime.date(year.year + 1, 7, 1)),
    )

    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=draft, by=provider)

    assert caught.value.code == "guidelines_failed"
    assert failed_rules(caught.value) == ["Spätestes Projektende"]
    assert f"30.06.{year.year + 1}" in caught.value.fields["guidelines"][0]
    nothing_happened(draft)


def test_an_end_on_the_last_allowed_day_may_be_submitted(organisation, provider):
    year = FiscalYearFactory()
    draft = ApplicationFactory(
        organisation=organisation,
        fiscal_year=year,
        **next_year_dates(year.year, datetime.date(year.year + 1, 6, 30)),
    )

    assert process.submit_application(application=draft, by=provider).state == State.SUBMITTED


def test_several_failed_rules_are_all_reported(organisation, provider):
    year = FiscalYearFactory()
    draft = ApplicationFactory(
        organisation=organisation,
        fiscal_year=year,
        cost_items=[Decimal("12100.00")],
        declares_not_otherwise_financeable=True,
        project_kind="",
        **next_year_dates(year.year, datetime.date(year.year + 1, 7, 1)),
    )

    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=draft, by=provider)

    # project_kind is also a completeness problem; completeness is checked first.
    assert caught.value.code in ("incomplete", "guidelines_failed")
    nothing_happened(draft)

    draft.project_kind = "model"
    draft.save(update_fields=["project_kind"])
    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=draft, by=provider)
    assert caught.value.code == "guidelines_failed"
    assert failed_rules(caught.value) == ["Förderbetrag", "Spätestes Projektende"]
    nothing_happened(draft)


def test_review_findings_do_not_block_the_submission(submitted):
    check = GuidelineCheck.objects.get(application=submitted)

    assert outcomes(check.findings)["new_approach"] == "review"
    assert check.failed == []
    assert [f["rule"] for f in check.to_review] == ["new_approach"]


# --- no guideline in force ------------------------------------------------------------------------
def test_a_fund_without_a_guideline_cannot_submit(organisation, provider):
    fund = FundFactory(code="quartier", name="Quartiersfonds", guideline="")
    draft = ApplicationFactory(organisation=organisation, fiscal_year=FiscalYearFactory(fund=fund))

    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=draft, by=provider)

    assert caught.value.code == "no_guideline"
    assert "guidelines" in caught.value.fields
    assert str(caught.value)
    nothing_happened(draft)
    assert eligibility.precheck(draft) == (None, [])


# --- a second guideline version -------------------------------------------------------------------
@pytest.fixture
def guideline_dir(tmp_path, monkeypatch):
    """policies/guidelines as published, in a folder the test may add versions to."""
    shutil.copy(V1_FILE, tmp_path / "v1.yaml")
    monkeypatch.setattr(guidelines, "DIRECTORY", tmp_path)
    return tmp_path


def publish(directory, version, *, valid_from, max_amount=None, valid_until=None):
    data = yaml.safe_load(V1_FILE.read_text(encoding="utf-8"))
    data["version"] = version
    data["title"] = f"Förderrichtlinie Verfügungsfonds Integration, Fassung {version}"
    data["valid_from"] = valid_from
    data["valid_until"] = valid_until
    if max_amount is not None:
        rule = next(item for item in data["rules"] if item["id"] == "amount_range")
        rule["parameters"]["max_amount"] = max_amount
    path = directory / f"v{version}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return guidelines.load(version)


def test_a_guideline_not_yet_in_force_cannot_be_used(guideline_dir, organisation, provider):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    publish(guideline_dir, "1", valid_from=tomorrow)  # replaces the copy of v1
    draft = ApplicationFactory(organisation=organisation)

    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=draft, by=provider)

    assert caught.value.code == "no_guideline"
    nothing_happened(draft)


def test_version_pinning_end_to_end(guideline_dir, organisation, provider, office):
    today = timezone.localdate()
    v1 = guidelines.load("1")
    # v2 is published in advance: lower maximum, in force ten days from now.
    v2 = publish(
        guideline_dir, "2", valid_from=today + datetime.timedelta(days=10), max_amount="1000.00"
    )
    assert v2.valid_from > v1.valid_from
    draft = ApplicationFactory(organisation=organisation)
    assert draft.requested_amount == Decimal("1134.56")  # over v2's maximum, within v1's

    submitted = process.submit_application(application=draft, by=provider)

    assert submitted.guideline_version == "1"
    first = GuidelineCheck.objects.get(application=submitted)
    assert (first.guideline_version, first.guideline_digest) == ("1", v1.digest)
    evidence = (first.guideline_version, first.guideline_digest, first.facts, first.findings)

    with time_machine.travel(today + datetime.timedelta(days=11), tick=False):
        assert guidelines.in_force("integration-herne", timezone.localdate()).version == "2"
        pinned = services.reevaluate_guidelines(application=submitted, by=office)
        current = services.reevaluate_guidelines(
            application=submitted, by=office, use_current_version=True
        )

    assert (pinned.guideline_version, pinned.guideline_digest) == ("1", v1.digest)
    assert pinned.findings == first.findings
    assert pinned.facts == first.facts
    assert outcomes(pinned.findings)["amount_range"] == "pass"
    assert (current.guideline_version, current.guideline_digest) == ("2", v2.digest)
    assert outcomes(current.findings)["amount_range"] == "fail"
    assert "1.000,00" in next(f for f in current.findings if f["rule"] == "amount_range")["message"]
    # Every check stays, the first one exactly as it was; the pin does not move.
    checks = list(GuidelineCheck.objects.filter(application=submitted).order_by("id"))
    assert [(c.trigger, c.guideline_version) for c in checks] == [
        ("submission", "1"),
        ("reevaluation", "1"),
        ("reevaluation", "2"),
    ]
    first.refresh_from_db()
    assert (first.guideline_version, first.guideline_digest, first.facts, first.findings) == (
        evidence
    )
    submitted.refresh_from_db()
    assert submitted.guideline_version == "1"
    audit = AuditEntry.objects.for_object(submitted).filter(
        action="application.guidelines_reevaluated"
    )
    assert sorted(e.data["guideline_version"] for e in audit) == ["1", "2"]

    # The office may still decide on the pinned version.
    assert decide(submitted, office, "eligible").state == State.ELIGIBLE


def test_the_pinned_version_stays_after_resubmission(guideline_dir, submitted, provider, office):
    assert submitted.guideline_version == "1"
    decide(submitted, office, "changes_requested", "Bitte ändern.")
    publish(guideline_dir, "2", valid_from=timezone.localdate(), max_amount="1000.00")
    assert guidelines.in_force("integration-herne", timezone.localdate()).version == "2"

    resubmitted = process.submit_application(application=submitted, by=provider)

    # Checked against v1 again, so v2's lower maximum does not block it.
    assert resubmitted.guideline_version == "1"
    checks = list(GuidelineCheck.objects.filter(application=submitted).order_by("id"))
    assert [(c.trigger, c.guideline_version) for c in checks] == [
        ("submission", "1"),
        ("resubmission", "1"),
    ]
    audit = AuditEntry.objects.for_object(submitted).get(action="application.resubmitted")
    assert audit.data["guideline_version"] == "1"


def test_a_new_application_gets_the_version_in_force(guideline_dir, organisation, provider):
    publish(guideline_dir, "2", valid_from=timezone.localdate(), max_amount="5000.00")
    draft = ApplicationFactory(organisation=organisation)

    submitted = process.submit_application(application=draft, by=provider)

    assert submitted.guideline_version == "2"
    assert GuidelineCheck.objects.get(application=submitted).guideline_version == "2"


def test_reevaluation_against_today_without_a_guideline_in_force(
    tmp_path, monkeypatch, submitted, office
):
    # A folder where v1 ended yesterday (a loaded file is cached per path: use a new folder).
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    monkeypatch.setattr(guidelines, "DIRECTORY", tmp_path)
    publish(tmp_path, "1", valid_from=datetime.date(2017, 1, 1), valid_until=yesterday)
    before = list(GuidelineCheck.objects.filter(application=submitted).values_list("pk", flat=True))

    with pytest.raises(ApplicationError):
        services.reevaluate_guidelines(application=submitted, by=office, use_current_version=True)

    after = list(GuidelineCheck.objects.filter(application=submitted).values_list("pk", flat=True))
    assert after == before
    # The pinned version can still be applied.
    assert services.reevaluate_guidelines(application=submitted, by=office).guideline_version == (
        "1"
    )


def test_only_the_project_office_reevaluates(submitted, provider):
    from fund_manager.core.errors import NotPermitted

    for user in (provider, user_with_role("finance"), user_with_role("auditor")):
        with pytest.raises(NotPermitted):
            services.reevaluate_guidelines(application=submitted, by=user)
    assert GuidelineCheck.objects.filter(application=submitted).count() == 1


def test_a_draft_cannot_be_reevaluated(draft, office):
    with pytest.raises(ApplicationError):
        services.reevaluate_guidelines(application=draft, by=office)
    assert not GuidelineCheck.objects.filter(application=draft).exists()


def test_a_later_reevaluation_judges_the_submission_as_of_its_date(submitted, office):
    """Re-checked after the project has started, the unchanged application still did not start
    before its submission: the facts are those of the submission day, not of today."""
    first = GuidelineCheck.objects.get(application=submitted)
    after_start = submitted.start_date + datetime.timedelta(days=10)

    with time_machine.travel(
        datetime.datetime.combine(after_start, datetime.time(12), tzinfo=datetime.UTC),
        tick=False,
    ):
        again = services.reevaluate_guidelines(application=submitted, by=office)

    assert outcomes(again.findings)["not_started"] == "pass"
    assert again.findings == first.findings
    assert again.facts["submitted_on"] == first.facts["submitted_on"]
