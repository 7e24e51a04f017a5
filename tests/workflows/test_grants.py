"""Changing an approval (issue 9, defect 2): the recipient's waiver and the office's
revocation with its hearing. After every change the approved amount, the ledger's commitment,
the finance figures and verify_ledger agree; every refusal leaves everything as it was."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications.grants import GrantError
from fund_manager.applications.models import Revocation, RevocationStatus
from fund_manager.applications.selectors import application_history
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.ledger.models import Transfer, TransferKind
from fund_manager.organisations.models import Membership
from policies.periods import add_months
from tests.factories import ApplicationFactory, force_state, provider_user, user_with_role
from tests.workflows.grant_helpers import (
    APPROVED,
    approved_application,
    assert_books_agree,
    key,
    recipient,
    snapshot,
)
from workflows import grants
from workflows import services as use_cases

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def actions(application):
    return [entry.action for entry in application_history(application)]


def start(application, office, *, intended="0.00", known=None, due=None, **extra):
    return grants.start_revocation(
        application=application,
        by=office,
        ground=Revocation.Ground.PURPOSE,
        facts="Das Projekt hat nicht stattgefunden; die Räume wurden nie angemietet.",
        facts_known_on=known or TODAY - datetime.timedelta(days=10),
        intended_amount=D(intended),
        response_due=due or TODAY + datetime.timedelta(days=14),
        **extra,
    )


# --- waiver ------------------------------------------------------------------------------------
def test_defect_02_partial_waiver_lowers_the_approval_and_releases_the_difference():
    application = approved_application()
    change = grants.waive(
        application=application,
        by=recipient(application),
        amount=D("134.56"),
        reason="Die Honorarkosten sind geringer ausgefallen.",
        idempotency_key=key(),
    )
    assert change.before == APPROVED
    assert change.after == D("1000.00")
    application.refresh_from_db()
    assert application.state == "approved"
    assert_books_agree(application, approved=D("1000.00"))
    release = Transfer.objects.get(application=application, kind=TransferKind.RELEASE)
    assert release.amount == D("134.56")
    assert actions(application)[-1] == "application.partially_waived"
    entry = list(application_history(application))[-1]
    assert entry.data["before"] == "1134.56"
    assert entry.data["after"] == "1000.00"
    assert entry.data["reason"] == "Die Honorarkosten sind geringer ausgefallen."


def test_defect_02_full_waiver_ends_the_grant():
    application = approved_application()
    change = grants.waive(
        application=application,
        by=recipient(application),
        amount=None,
        reason="Der Verein löst sich auf.",
        idempotency_key=key(),
    )
    assert change.full
    application.refresh_from_db()
    assert application.state == "waived"
    assert_books_agree(application, approved=D("0.00"))
    assert actions(application)[-1] == "application.waived"


def test_defect_02_waiving_the_whole_amount_is_a_full_waiver():
    application = approved_application()
    grants.waive(
        application=application,
        by=recipient(application),
        amount=APPROVED,
        reason="Kein Bedarf mehr.",
        idempotency_key=key(),
    )
    application.refresh_from_db()
    assert application.state == "waived"
    assert_books_agree(application, approved=D("0.00"))


def test_defect_02_a_repeated_waiver_request_waives_once():
    application = approved_application()
    provider = recipient(application)
    same = key()
    for _ in range(2):
        change = grants.waive(
            application=application,
            by=provider,
            amount=D("100.00"),
            reason="Doppelklick",
            idempotency_key=same,
        )
    assert change.repeated
    assert_books_agree(application, approved=D("1034.56"))
    assert actions(application).count("application.partially_waived") == 1


@pytest.mark.parametrize(
    ("who", "amount", "error", "field"),
    [
        ("office", None, NotPermitted, None),
        ("finance", None, NotPermitted, None),
        ("other_provider", None, NotPermitted, None),
        ("recipient", "1134.57", InvalidInput, "amount"),
        ("recipient", "0.00", InvalidInput, "amount"),
        ("recipient", "-1.00", InvalidInput, "amount"),
        ("recipient", "1.001", InvalidInput, "amount"),
    ],
)
def test_defect_02_waiver_refusals_change_nothing(who, amount, error, field):
    application = approved_application()
    user = {
        "office": lambda: user_with_role("project_office"),
        "finance": lambda: user_with_role("finance"),
        "other_provider": lambda: provider_user(),
        "recipient": lambda: recipient(application),
    }[who]()
    before = snapshot(application)
    with pytest.raises(error) as caught:
        grants.waive(
            application=application,
            by=user,
            amount=D(amount) if amount else None,
            reason="Grund",
            idempotency_key=key(),
        )
    if field:
        assert field in caught.value.fields
    assert snapshot(application) == before
    assert_books_agree(application, approved=APPROVED)


def test_defect_02_waiver_needs_a_reason():
    application = approved_application()
    before = snapshot(application)
    with pytest.raises(InvalidInput) as caught:
        grants.waive(
            application=application,
            by=recipient(application),
            reason="  ",
            idempotency_key=key(),
        )
    assert "reason" in caught.value.fields
    assert snapshot(application) == before


@pytest.mark.parametrize("state", ["scheduled", "rejected", "withdrawn", "revoked", "waived"])
def test_defect_02_only_an_approved_grant_can_be_waived(state):
    application = ApplicationFactory()
    force_state(application, state)
    before = snapshot(application)
    with pytest.raises(GrantError) as caught:
        grants.waive(
            application=application,
            by=recipient(application),
            reason="Grund",
            idempotency_key=key(),
        )
    assert caught.value.code == "not_approved"
    assert snapshot(application) == before


def test_defect_02_a_full_waiver_ends_a_running_process_and_an_open_hearing(office):
    """An approval's process normally ended at the decision; if one still runs (older data,
    or a later flow), the full waiver cancels it, and an open hearing ends with the grant."""
    application = ApplicationFactory()
    provider = provider_user(application.organisation)
    use_cases.submit_application(application=application, by=provider)
    process = application.process
    assert process.status == PROCESS.NEW
    # Test set-up: approved with a commitment (the decision itself is tested in rounds).
    approved = approved_application()
    revocation = start(approved, office)
    grants.waive(
        application=approved,
        by=recipient(approved),
        reason="Verzicht",
        idempotency_key=key(),
    )
    revocation.refresh_from_db()
    assert revocation.status == RevocationStatus.DROPPED
    assert "application.revocation_dropped" in actions(approved)
    assert_books_agree(approved, approved=D("0.00"))
    # A process still running when the grant ends (here: forced) is cancelled.
    force_state(application, "waived")
    grants._end_process(application)
    process.refresh_from_db()
    assert process.status == PROCESS.CANCELED
    assert not process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).exists()


# --- revocation --------------------------------------------------------------------------------
def test_defect_02_partial_revocation_after_the_response(office):
    application = approved_application()
    revocation = start(application, office, intended="800.00")
    # The hearing changes nothing on the grant or the ledger.
    assert_books_agree(application, approved=APPROVED)
    assert revocation.approved_before == APPROVED
    grants.record_response(
        revocation=revocation,
        by=office,
        response="Wir haben nur die Hälfte der Kurse durchgeführt.",
        received_on=TODAY,
    )
    change = grants.decide_revocation(
        revocation=revocation, by=office, reasons="Nur teilweise zweckentsprechend verwendet."
    )
    assert change.after == D("800.00")
    application.refresh_from_db()
    assert application.state == "approved"
    assert_books_agree(application, approved=D("800.00"))
    revocation.refresh_from_db()
    assert revocation.status == RevocationStatus.DECIDED
    assert revocation.decided_amount == D("800.00")
    assert revocation.decided_by == office
    release = Transfer.objects.get(application=application, kind=TransferKind.RELEASE)
    assert release.amount == D("334.56")
    assert actions(application)[-3:] == [
        "application.revocation_hearing_started",
        "application.revocation_response_recorded",
        "application.partially_revoked",
    ]


def test_defect_02_full_revocation_after_the_deadline_without_a_response(office):
    application = approved_application()
    revocation = start(application, office)
    later = revocation.response_due + datetime.timedelta(days=1)
    change = grants.decide_revocation(
        revocation=revocation, by=office, reasons="Keine Stellungnahme.", today=later
    )
    assert change.full
    application.refresh_from_db()
    assert application.state == "revoked"
    assert_books_agree(application, approved=D("0.00"))
    assert actions(application)[-1] == "application.revoked"


def test_defect_02_the_decision_may_be_milder_than_the_hearing_not_harsher(office):
    application = approved_application()
    revocation = start(application, office, intended="500.00")
    grants.record_response(revocation=revocation, by=office, response="Belege", received_on=TODAY)
    before = snapshot(application)
    with pytest.raises(InvalidInput) as caught:
        grants.decide_revocation(
            revocation=revocation, by=office, reasons="x", decided_amount=D("400.00")
        )
    assert "decided_amount" in caught.value.fields
    assert snapshot(application) == before
    grants.decide_revocation(
        revocation=revocation, by=office, reasons="Teilweise belegt.", decided_amount=D("900.00")
    )
    assert_books_agree(application, approved=D("900.00"))


def test_defect_02_no_decision_before_the_deadline_without_a_response(office):
    application = approved_application()
    revocation = start(application, office)
    before = snapshot(application)
    for today in (TODAY, revocation.response_due):
        with pytest.raises(GrantError) as caught:
            grants.decide_revocation(revocation=revocation, by=office, reasons="x", today=today)
        assert caught.value.code == "hearing_pending"
    assert snapshot(application) == before
    assert_books_agree(application, approved=APPROVED)


def test_defect_02_no_decision_after_the_one_year_limit(office):
    application = approved_application()
    known = TODAY - datetime.timedelta(days=300)
    revocation = start(application, office, known=known)
    last_day = add_months(known, 12)  # the same date a year later (BGB § 188)
    before = snapshot(application)
    with pytest.raises(GrantError) as caught:
        grants.decide_revocation(
            revocation=revocation,
            by=office,
            reasons="x",
            today=last_day + datetime.timedelta(days=1),
        )
    assert caught.value.code == "time_limit_passed"
    assert snapshot(application) == before
    # On the last day itself it is still possible, with a warning.
    change = grants.decide_revocation(
        revocation=revocation, by=office, reasons="Fristgerecht.", today=last_day
    )
    assert change.warnings
    assert change.warnings[0].last_day == last_day
    assert change.warnings[0].days_left == 0
    assert_books_agree(application, approved=D("0.00"))


def test_defect_02_hearing_refused_when_the_year_has_passed(office):
    application = approved_application()
    before = snapshot(application)
    with pytest.raises(InvalidInput) as caught:
        start(application, office, known=TODAY - datetime.timedelta(days=367))
    assert "facts_known_on" in caught.value.fields
    assert snapshot(application) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"intended": "1134.56"}, "intended_amount"),
        ({"intended": "2000.00"}, "intended_amount"),
        ({"intended": "-1.00"}, "intended_amount"),
        ({"known": TODAY + datetime.timedelta(days=1)}, "facts_known_on"),
        ({"due": TODAY + datetime.timedelta(days=3)}, "response_due"),
        ({"facts": " "}, "facts"),
        ({"ground": "weil"}, "ground"),
    ],
)
def test_defect_02_hearing_input_refusals(office, changes, field):
    application = approved_application()
    before = snapshot(application)
    extra = {}
    if "facts" in changes or "ground" in changes:
        with pytest.raises(InvalidInput) as caught:
            grants.start_revocation(
                application=application,
                by=office,
                ground=changes.get("ground", "purpose"),
                facts=changes.get("facts", "Sachverhalt"),
                facts_known_on=TODAY,
                intended_amount=D("0.00"),
                response_due=TODAY + datetime.timedelta(days=14),
            )
    else:
        with pytest.raises(InvalidInput) as caught:
            start(application, office, **changes, **extra)
    assert field in caught.value.fields
    assert snapshot(application) == before


@pytest.mark.parametrize("who", ["recipient", "finance", "chair", "office_of_recipient"])
def test_defect_02_only_the_office_of_another_organisation_revokes(office, who):
    application = approved_application()
    if who == "recipient":
        user = recipient(application)
    elif who == "office_of_recipient":
        # Separation of duties: an office member who belongs to the recipient organisation.
        user = user_with_role("project_office")
        Membership.objects.create(organisation=application.organisation, user=user)
    else:
        user = user_with_role(who)
    before = snapshot(application)
    with pytest.raises(NotPermitted):
        start(application, user)
    revocation = start(application, office)
    grants.record_response(revocation=revocation, by=office, response="x", received_on=TODAY)
    before = snapshot(application)
    with pytest.raises(NotPermitted):
        grants.decide_revocation(revocation=revocation, by=user, reasons="x")
    with pytest.raises(NotPermitted):
        grants.record_response(revocation=revocation, by=user, response="y", received_on=TODAY)
    with pytest.raises(NotPermitted):
        grants.drop_revocation(revocation=revocation, by=user, reason="y")
    assert snapshot(application) == before


def test_defect_02_one_open_hearing_at_a_time_and_only_for_an_approval(office):
    application = approved_application()
    start(application, office)
    before = snapshot(application)
    with pytest.raises(GrantError) as caught:
        start(application, office)
    assert caught.value.code == "revocation_open"
    assert snapshot(application) == before
    rejected = ApplicationFactory()
    force_state(rejected, "rejected")
    with pytest.raises(GrantError) as caught:
        start(rejected, office)
    assert caught.value.code == "not_approved"


def test_defect_02_nothing_left_to_revoke_after_a_waiver(office):
    application = approved_application()
    revocation = start(application, office, intended="800.00")
    grants.waive(
        application=application,
        by=recipient(application),
        amount=D("400.00"),
        reason="Weniger Kosten",
        idempotency_key=key(),
    )
    grants.record_response(revocation=revocation, by=office, response="x", received_on=TODAY)
    before = snapshot(application)
    with pytest.raises(GrantError) as caught:
        grants.decide_revocation(revocation=revocation, by=office, reasons="x")
    assert caught.value.code == "nothing_to_revoke"
    assert snapshot(application) == before
    grants.drop_revocation(revocation=revocation, by=office, reason="Erledigt durch Verzicht.")
    revocation.refresh_from_db()
    assert revocation.status == RevocationStatus.DROPPED
    assert_books_agree(application, approved=D("734.56"))


def test_defect_02_a_closed_proceeding_takes_nothing_more(office):
    application = approved_application()
    revocation = start(application, office)
    grants.drop_revocation(revocation=revocation, by=office, reason="Stellungnahme überzeugt.")
    before = snapshot(application)
    for call in (
        lambda: grants.decide_revocation(revocation=revocation, by=office, reasons="x"),
        lambda: grants.record_response(
            revocation=revocation, by=office, response="x", received_on=TODAY
        ),
        lambda: grants.drop_revocation(revocation=revocation, by=office, reason="x"),
    ):
        with pytest.raises(GrantError) as caught:
            call()
        assert caught.value.code == "revocation_closed"
    assert snapshot(application) == before
    assert_books_agree(application, approved=APPROVED)


def test_defect_02_response_date_checks(office):
    application = approved_application()
    revocation = start(application, office)
    for day in (TODAY + datetime.timedelta(days=1), TODAY - datetime.timedelta(days=1)):
        with pytest.raises(InvalidInput) as caught:
            grants.record_response(revocation=revocation, by=office, response="x", received_on=day)
        assert "received_on" in caught.value.fields
    grants.record_response(revocation=revocation, by=office, response="Erste", received_on=TODAY)
    grants.record_response(revocation=revocation, by=office, response="Zweite", received_on=TODAY)
    revocation.refresh_from_db()
    assert revocation.response == "Zweite"
    entry = list(application_history(application))[-1]
    assert entry.data["previous"]["response"] == "Erste"


# --- the process: "Widerruf entscheiden" in the office's inbox ---------------------------------
def revocation_tasks(revocation):
    process = grants._revocation_process(revocation)
    return list(
        grants.RevocationFlow.task_class.objects.filter(
            process=process, flow_task=grants.RevocationFlow.decide
        ).order_by("pk")
    )


def test_defect_02_the_hearing_puts_the_decision_into_the_inbox(client, office):
    application = approved_application()
    revocation = start(application, office)
    task = grants.decide_task(revocation)
    assert task.owner == office
    assert task.status == STATUS.ASSIGNED
    client.force_login(office)
    response = client.get("/tasks/")
    content = response.content.decode()
    assert application.reference in content
    assert "Widerruf entscheiden" in content
    row = next(t for t in response.context["mine"] if t.flow_task == grants.RevocationFlow.decide)
    assert row.revocation == revocation
    assert row.overdue is False
    # Another office member decides: the task moves to them and is done.
    other = user_with_role("project_office")
    grants.record_response(revocation=revocation, by=other, response="x", received_on=TODAY)
    grants.decide_revocation(revocation=revocation, by=other, reasons="Zweck verfehlt.")
    (task,) = revocation_tasks(revocation)
    assert task.status == STATUS.DONE
    assert task.owner == other
    assert grants._revocation_process(revocation).status == PROCESS.DONE
    assert grants.decide_task(revocation) is None


def test_defect_02_ending_without_revocation_completes_the_task(office):
    application = approved_application()
    revocation = start(application, office)
    grants.drop_revocation(revocation=revocation, by=office, reason="Überzeugt.")
    (task,) = revocation_tasks(revocation)
    assert task.status == STATUS.DONE


def test_defect_02_a_full_waiver_cancels_the_revocation_task(office):
    application = approved_application()
    revocation = start(application, office)
    grants.waive(
        application=application, by=recipient(application), reason="Ende", idempotency_key=key()
    )
    (task,) = revocation_tasks(revocation)
    assert task.status == STATUS.CANCELED
    assert grants._revocation_process(revocation).status == PROCESS.CANCELED


def test_defect_02_a_refused_decision_leaves_the_task_open(office):
    application = approved_application()
    revocation = start(application, office)
    with pytest.raises(GrantError):
        grants.decide_revocation(revocation=revocation, by=office, reasons="zu früh")
    assert grants.decide_task(revocation).status == STATUS.ASSIGNED
