"""The usage report's use cases (workflows.settlement): writing, submitting, the review with
its settlement, the revision round trip, extensions (the daily jobs: test_report_jobs.py).
The ledger verifies clean after every test (tests/conftest.py)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications.models import Revocation
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.settlement.models import (
    DueDateExtension,
    ExtensionState,
    Receipt,
    ReportState,
    UsageReport,
)
from fund_manager.settlement.selectors import reports as selectors
from tests.conftest import module_data
from tests.factories import (
    OrganisationFactory,
    force_state,
    provider_user,
    user_with_role,
)
from tests.settlement.test_report_support import (
    TODAY,
    complete_report,
    grant_in_payment,
    lines_for,
    payment,
)
from workflows import grants
from workflows import settlement as flows
from workflows.flows import ApplicationFlow, ExtensionFlow, ReportFlow
from workflows.models import ApplicationProcess

pytestmark = pytest.mark.django_db


@module_data
def world():
    """The recipient, the office and the grant, built once per module (each test's changes are
    rolled back after it). The daily jobs, which look at every grant, are in
    test_report_jobs.py."""
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    office = user_with_role("project_office")
    application = grant_in_payment(provider, organisation, office=office)
    payment(application, "1000.00")
    return {
        "organisation": organisation,
        "provider": provider,
        "office": office,
        "grant": application,
    }


@pytest.fixture
def organisation(world):
    return world["organisation"]


@pytest.fixture
def provider(world):
    return world["provider"]


@pytest.fixture
def office(world):
    return world["office"]


@pytest.fixture
def grant(world):
    """Costs 1,500.00, own funds 300.00: approved and committed 1,200.00 (deficit);
    1,000.00 paid."""
    return world["grant"]


def balance(application, kind):
    return sum(
        (a.balance for a in Account.objects.filter(application=application, kind=kind)), D("0.00")
    )


def submitted_report(grant, provider, actuals=("1000.00", "500.00")):
    report = complete_report(grant, provider, actuals)
    return flows.submit_report(report=report, by=provider)


def review_task_status(report):
    return list(
        ReportFlow.task_class.objects.filter(process__artifact_object_id=report.pk)
        .order_by("pk")
        .values_list("flow_task", "status")
    )


# --- writing ------------------------------------------------------------------------------------
def test_the_draft_is_prefilled_from_the_cost_plan_and_due_after_the_project_end(grant, provider):
    report = flows.save_report(application=grant, by=provider)
    lines = list(report.cost_lines.order_by("position"))
    assert [(line.description, line.planned, line.actual) for line in lines] == [
        ("Posten 1", D("1000.00"), D("0.00")),
        ("Posten 2", D("500.00"), D("0.00")),
    ]
    assert report.due_on == flows.rules.due_date(grant.end_date, grant.fund.proof_of_use_months)
    assert report.state == ReportState.DRAFT


def test_actual_costs_are_the_sum_of_the_receipts(grant, provider):
    item = grant.cost_items.order_by("position").first()
    day = TODAY - datetime.timedelta(days=3)
    report = flows.save_report(
        application=grant,
        by=provider,
        cost_lines=[
            {
                "cost_item": item.pk,
                "receipts": [
                    {"date": day, "payee": "A", "reason": "R1", "amount": D("400.10")},
                    {"date": day, "payee": "B", "reason": "R2", "amount": D("99.95")},
                ],
            },
            {
                "cost_item": None,
                "category": "other",
                "description": "Fahrtkosten",
                "receipts": [
                    {"date": day, "payee": "DB", "reason": "Ticket", "amount": D("20.00")}
                ],
            },
        ],
    )
    actuals = {line.description: line.actual for line in report.cost_lines.all()}
    assert actuals == {"Posten 1": D("500.05"), "Posten 2": D("0.00"), "Fahrtkosten": D("20.00")}
    assert Receipt.objects.filter(report=report).count() == 3


def test_a_stated_actual_that_differs_from_the_receipts_is_refused(grant, provider):
    lines = lines_for(grant, ["100.00", None])
    lines[0]["actual"] = D("120.00")
    with pytest.raises(InvalidInput) as refused:
        flows.save_report(application=grant, by=provider, cost_lines=lines)
    assert "cost_lines.0.actual" in refused.value.fields
    assert not UsageReport.objects.filter(application=grant).exists()


@pytest.mark.parametrize(
    ("receipt", "field"),
    [
        ({"payee": "", "reason": "x", "amount": D("1.00")}, "payee"),
        ({"payee": "x", "reason": "x", "amount": D("0.00")}, "amount"),
        ({"payee": "x", "reason": "x", "amount": D("-1.00")}, "amount"),
        ({"payee": "x", "reason": "x", "amount": D("1.001")}, "amount"),
        ({"payee": "x\x00", "reason": "x", "amount": D("1.00")}, "payee"),
    ],
)
def test_bad_receipts_are_refused(grant, provider, receipt, field):
    item = grant.cost_items.first()
    with pytest.raises(InvalidInput) as refused:
        flows.save_report(
            application=grant,
            by=provider,
            cost_lines=[{"cost_item": item.pk, "receipts": [{"date": TODAY, **receipt}]}],
        )
    assert f"cost_lines.0.receipts.0.{field}" in refused.value.fields


def test_a_receipt_in_the_future_is_refused(grant, provider):
    item = grant.cost_items.first()
    tomorrow = TODAY + datetime.timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        flows.save_report(
            application=grant,
            by=provider,
            cost_lines=[
                {
                    "cost_item": item.pk,
                    "receipts": [{"date": tomorrow, "payee": "a", "reason": "b", "amount": D("1")}],
                }
            ],
        )
    assert "cost_lines.0.receipts.0.date" in refused.value.fields


@pytest.mark.parametrize("who", ["other_provider", "office", "finance"])
def test_only_the_recipient_writes_the_report(grant, request, who):
    with pytest.raises(NotPermitted):
        flows.save_report(application=grant, by=request.getfixturevalue(who), narrative="x")
    assert not UsageReport.objects.filter(application=grant).exists()


@pytest.mark.parametrize("state", ["approved", "report_submitted", "closed", "revoked"])
def test_no_report_outside_payment_and_report_due(grant, provider, state):
    force_state(grant, state)
    with pytest.raises(flows.ReportError) as refused:
        flows.save_report(application=grant, by=provider, narrative="x")
    assert refused.value.code == "not_reporting"
    force_state(grant, "in_payment")


def test_attachments_are_checked_like_the_applications(grant, provider, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    report = flows.save_report(application=grant, by=provider)
    with pytest.raises(InvalidInput) as refused:
        flows.add_report_attachment(
            report=report, by=provider, upload=SimpleUploadedFile("beleg.pdf", b"not a pdf")
        )
    assert "file" in refused.value.fields
    stored = flows.add_report_attachment(
        report=report, by=provider, upload=SimpleUploadedFile("beleg.pdf", b"%PDF-1.4 test")
    )
    assert (stored.content_type, stored.size) == ("application/pdf", 13)
    flows.remove_report_attachment(attachment=stored, by=provider)
    assert report.attachments.count() == 0


# --- submitting -----------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["requested", "certified", "ordered", "exported"])
def test_submit_is_refused_while_a_payment_request_is_open(grant, provider, state):
    report = complete_report(grant, provider, ["1000.00", "500.00"])
    payment(grant, "100.00", state=state)
    with pytest.raises(flows.ReportError) as refused:
        flows.submit_report(report=report, by=provider)
    assert refused.value.code == "payment_open"
    # The site's language (German): the message names the open request.
    assert "Mittelabruf noch offen" in str(refused.value.message)
    assert grant.payment_requests.get(state=state).payment_key in str(refused.value.message)
    report.refresh_from_db()
    grant.refresh_from_db()
    assert (report.state, grant.state) == (ReportState.DRAFT, "in_payment")
    assert ReportFlow.process_class.objects.filter(flow_class=ReportFlow).count() == 0


@pytest.mark.parametrize("state", ["rejected", "cancelled"])
def test_closed_payment_requests_do_not_block(grant, provider, state):
    payment(grant, "100.00", state=state)
    submitted = submitted_report(grant, provider)
    assert submitted.state == ReportState.SUBMITTED


def test_submit_needs_narrative_participants_and_the_use_of_each_payment(grant, provider):
    report = flows.save_report(application=grant, by=provider)
    with pytest.raises(InvalidInput) as refused:
        flows.submit_report(report=report, by=provider)
    assert set(refused.value.fields) == {"narrative", "payment_uses", "participants"}


def test_submit_moves_report_and_application_and_starts_the_review(grant, provider):
    submitted = submitted_report(grant, provider)
    grant.refresh_from_db()
    assert (submitted.state, grant.state) == (ReportState.SUBMITTED, "report_submitted")
    assert review_task_status(submitted)[-1] == (ReportFlow.review, STATUS.NEW)
    with pytest.raises(flows.ReportError):
        flows.save_report(application=grant, by=provider, narrative="später")
    with pytest.raises(flows.ReportError):
        flows.submit_report(report=submitted, by=provider)


def test_early_submission_from_in_payment_and_from_report_due(grant, provider):
    force_state(grant, "report_due")
    assert submitted_report(grant, provider).state == ReportState.SUBMITTED


def test_another_organisation_cannot_submit(grant, provider, other_provider):
    report = complete_report(grant, provider, ["1000.00", "500.00"])
    with pytest.raises(NotPermitted):
        flows.submit_report(report=report, by=other_provider)


# --- the review -----------------------------------------------------------------------------------
def test_revision_round_trip(grant, provider, office, django_capture_on_commit_callbacks):
    report = submitted_report(grant, provider)
    with pytest.raises(InvalidInput):
        flows.review_report(report=report, by=office, outcome="revision_requested", note=" ")
    with django_capture_on_commit_callbacks(execute=True):
        reviewed, settlement, revocation = flows.review_report(
            report=report, by=office, outcome="revision_requested", note="Beleg 2 fehlt."
        )
    grant.refresh_from_db()
    assert (reviewed.state, grant.state) == (ReportState.REVISION_REQUESTED, "report_due")
    assert settlement is None
    assert revocation is None
    assert mail.outbox
    assert "Beleg 2 fehlt." in mail.outbox[-1].body
    flows.save_report(application=grant, by=provider, narrative="Mit Beleg 2.")
    again = flows.submit_report(report=reviewed, by=provider)
    grant.refresh_from_db()
    assert (again.state, grant.state) == (ReportState.SUBMITTED, "report_submitted")
    assert review_task_status(again) == [
        (ReportFlow.start, STATUS.DONE),
        (ReportFlow.review, STATUS.DONE),
        (ReportFlow.after_review, STATUS.DONE),
        (ReportFlow.await_revision, STATUS.DONE),
        (ReportFlow.review, STATUS.NEW),
    ]


@pytest.mark.parametrize(
    ("outcome", "state"),
    [("accepted", "draft"), ("revision_requested", "draft"), ("accepted", "revision_requested")],
)
def test_only_a_submitted_report_is_reviewed(grant, provider, office, outcome, state):
    report = complete_report(grant, provider, ["1000.00", "500.00"])
    UsageReport.objects.filter(pk=report.pk).update(state=state)
    report.refresh_from_db()
    with pytest.raises(flows.ReportError) as refused:
        flows.review_report(
            report=report, by=office, outcome=outcome, eligible_costs=D("1.00"), note="x"
        )
    assert refused.value.code == "report_not_submitted"


@pytest.mark.parametrize("who", ["provider", "finance", "member_office"])
def test_only_the_office_of_another_organisation_reviews(grant, provider, request, who):
    report = submitted_report(grant, provider)
    if who == "member_office":
        user = user_with_role("project_office")
        user.memberships.create(organisation=grant.organisation)
    else:
        user = request.getfixturevalue(who)
    with pytest.raises(NotPermitted):
        flows.review_report(report=report, by=user, outcome="accepted", eligible_costs=D("1500.00"))


def test_acceptance_with_nothing_owed_closes_the_grant(grant, provider, office):
    """Eligible 1,300.00 − own 300.00 = 1,000.00 = paid: nothing owed; the other 200.00 of
    the commitment are released, the application is closed, its process ends."""
    report = submitted_report(grant, provider, actuals=("900.00", "400.00"))
    reviewed, settlement, revocation = flows.review_report(
        report=report, by=office, outcome="accepted", eligible_costs=D("1300.00")
    )
    grant.refresh_from_db()
    assert revocation is None
    assert (settlement.grant, settlement.refund, settlement.release) == (
        D("1000.00"),
        D("0.00"),
        D("200.00"),
    )
    assert (reviewed.state, reviewed.eligible_costs, reviewed.settled_grant) == (
        ReportState.ACCEPTED,
        D("1300.00"),
        D("1000.00"),
    )
    assert grant.state == "closed"
    assert balance(grant, AccountKind.COMMITTED) == D("0.00")
    assert balance(grant, AccountKind.DISBURSED) == D("1000.00")
    release = Transfer.objects.get(application=grant, kind=TransferKind.RELEASE)
    assert (release.amount, release.business_reference) == (D("200.00"), f"report:{report.pk}")
    process = ApplicationProcess.objects.get(application=grant)
    assert process.status == PROCESS.DONE
    assert (
        ApplicationFlow.task_class.objects.filter(
            process=process, flow_task=ApplicationFlow.await_settlement
        )
        .get()
        .status
        == STATUS.DONE
    )
    assert review_task_status(report)[-1] == (ReportFlow.end, STATUS.DONE)
    audit = AuditEntry.objects.get(action="report.accepted")
    assert audit.data["amount"] == "1000.00"
    assert audit.data["action_field"] == grant.action_field.code


def test_acceptance_with_a_refund_starts_the_revocation_hearing(grant, provider, office):
    """Eligible 1,100.00 − own 300.00 = 800.00 < paid 1,000.00: a hearing with intended
    amount 800.00; nothing is released or closed yet."""
    report = submitted_report(grant, provider, actuals=("700.00", "400.00"))
    due = TODAY + datetime.timedelta(days=21)
    with pytest.raises(InvalidInput) as refused:
        flows.review_report(
            report=report, by=office, outcome="accepted", eligible_costs=D("1100.00")
        )
    assert "response_due" in refused.value.fields
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    reviewed, settlement, revocation = flows.review_report(
        report=report, by=office, outcome="accepted", eligible_costs=D("1100.00"), response_due=due
    )
    grant.refresh_from_db()
    assert (settlement.grant, settlement.refund) == (D("800.00"), D("200.00"))
    assert (revocation.ground, revocation.intended_amount, revocation.response_due) == (
        Revocation.Ground.PURPOSE,
        D("800.00"),
        due,
    )
    assert revocation.approved_before == D("1200.00")
    assert grant.state == "report_submitted"
    assert reviewed.state == ReportState.ACCEPTED
    assert balance(grant, AccountKind.COMMITTED) == D("200.00")
    assert not Transfer.objects.filter(application=grant, kind=TransferKind.RELEASE).exists()
    assert ApplicationProcess.objects.get(application=grant).status == PROCESS.NEW


def test_eligible_costs_other_than_the_proposal_need_a_note(grant, provider, office):
    report = submitted_report(grant, provider, actuals=("1300.00", "200.00"))
    # Line 1 is 1300 > 1200 (120 %): 100.00 beyond; proposal 1,400.00.
    assert selectors.cost_check(report).proposed_eligible == D("1400.00")
    with pytest.raises(InvalidInput) as refused:
        flows.review_report(
            report=report, by=office, outcome="accepted", eligible_costs=D("1500.00")
        )
    assert "note" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        flows.review_report(
            report=report, by=office, outcome="accepted", eligible_costs=D("1500.01"), note="ok"
        )
    assert "eligible_costs" in refused.value.fields
    _reviewed, settlement, _revocation = flows.review_report(
        report=report,
        by=office,
        outcome="accepted",
        eligible_costs=D("1500.00"),
        note="Mehrkosten Druck anerkannt (Preissteigerung belegt).",
        response_due=TODAY + datetime.timedelta(days=21),
    )
    assert settlement.grant == D("1200.00")


def test_share_and_fixed_settle_by_their_rule(provider, organisation, office):
    share = grant_in_payment(provider, organisation, office=office, funding_type="share")
    payment(share, "600.00")
    report = submitted_report(share, provider, actuals=("700.00", "300.00"))
    _r, settlement, _x = flows.review_report(
        report=report, by=office, outcome="accepted", eligible_costs=D("1000.00")
    )
    # 1,200.00 × 1,000.00 / 1,500.00 = 800.00 ≥ paid 600.00: closed, 600.00 released.
    assert (settlement.grant, settlement.release) == (D("800.00"), D("600.00"))
    share.refresh_from_db()
    assert share.state == "closed"


def test_an_unknown_outcome_is_refused(grant, provider, office):
    report = submitted_report(grant, provider)
    with pytest.raises(InvalidInput):
        flows.review_report(report=report, by=office, outcome="rejected")


# --- extensions ---------------------------------------------------------------------------------
def test_extension_granted_moves_the_due_date_and_restarts_reminders(grant, provider, office):
    report = flows.save_report(application=grant, by=provider)
    UsageReport.objects.filter(pk=report.pk).update(reminded_before_on=TODAY)
    wanted = report.due_on + datetime.timedelta(days=30)
    extension = flows.request_extension(
        report=report, by=provider, requested_due_on=wanted, reason="Prüfer erkrankt."
    )
    assert extension.previous_due_on == report.due_on
    task = flows.decide_task(extension)
    assert task is not None
    assert task.flow_task == ExtensionFlow.decide
    with pytest.raises(flows.ReportError) as refused:
        flows.request_extension(
            report=report, by=provider, requested_due_on=wanted, reason="noch einmal"
        )
    assert refused.value.code == "extension_pending"
    decided = flows.decide_extension(extension=extension, by=office, grant=True)
    report.refresh_from_db()
    assert decided.state == ExtensionState.GRANTED
    assert (report.due_on, report.reminded_before_on) == (wanted, None)
    task.refresh_from_db()
    assert task.status == STATUS.DONE
    with pytest.raises(flows.ReportError):
        flows.decide_extension(extension=extension, by=office, grant=False, note="zu spät")


def test_extension_refused_needs_a_reason_and_keeps_the_date(grant, provider, office):
    report = flows.save_report(application=grant, by=provider)
    extension = flows.request_extension(
        report=report,
        by=provider,
        requested_due_on=report.due_on + datetime.timedelta(days=10),
        reason="Urlaub",
    )
    with pytest.raises(InvalidInput):
        flows.decide_extension(extension=extension, by=office, grant=False, note="")
    decided = flows.decide_extension(
        extension=extension, by=office, grant=False, note="Kein hinreichender Grund."
    )
    report.refresh_from_db()
    assert decided.state == ExtensionState.REFUSED
    assert report.due_on == extension.previous_due_on


@pytest.mark.parametrize("days", [0, -1, 200])
def test_the_requested_date_must_be_later_and_within_six_months(grant, provider, days):
    report = flows.save_report(application=grant, by=provider)
    with pytest.raises(InvalidInput) as refused:
        flows.request_extension(
            report=report,
            by=provider,
            requested_due_on=report.due_on + datetime.timedelta(days=days),
            reason="x",
        )
    assert "requested_due_on" in refused.value.fields
    assert not DueDateExtension.objects.exists()


def test_only_the_office_decides_an_extension(grant, provider, other_provider):
    report = flows.save_report(application=grant, by=provider)
    extension = flows.request_extension(
        report=report,
        by=provider,
        requested_due_on=report.due_on + datetime.timedelta(days=10),
        reason="x",
    )
    for user in (provider, other_provider):
        with pytest.raises(NotPermitted):
            flows.decide_extension(extension=extension, by=user, grant=True)
    with pytest.raises(NotPermitted):
        flows.request_extension(
            report=report,
            by=other_provider,
            requested_due_on=report.due_on + datetime.timedelta(days=10),
            reason="x",
        )


# --- the daily jobs -------------------------------------------------------------------------------
def test_no_reminder_for_a_submitted_report(grant, provider):
    report = submitted_report(grant, provider)
    assert flows.send_report_reminders(today=report.due_on + datetime.timedelta(days=1)) == []


def test_a_dropped_refund_hearing_lets_the_office_close_the_grant(grant, provider, office):
    report = submitted_report(grant, provider, actuals=("700.00", "400.00"))
    _r, _s, revocation = flows.review_report(
        report=report,
        by=office,
        outcome="accepted",
        eligible_costs=D("1100.00"),
        response_due=TODAY + datetime.timedelta(days=21),
    )
    with pytest.raises(flows.ReportError) as refused:
        flows.close_after_report(application=grant, by=office)
    assert refused.value.code == "revocation_open"
    grants.drop_revocation(revocation=revocation, by=office, reason="Belege nachgereicht.")
    with pytest.raises(NotPermitted):
        flows.close_after_report(application=grant, by=provider)
    closed = flows.close_after_report(application=grant, by=office)
    assert closed.state == "closed"
    assert balance(grant, AccountKind.COMMITTED) == D("0.00")
    assert ApplicationProcess.objects.get(application=grant).status == PROCESS.DONE
    with pytest.raises(flows.ReportError):
        flows.close_after_report(application=grant, by=office)
