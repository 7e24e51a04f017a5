"""The round's use cases (``workflows.rounds``) and the application's transitions decided by
the steering group (``applications.services``): issue 10, one direction through the house."""

from decimal import Decimal

import pytest
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications import services as application_services
from fund_manager.applications.models import State
from fund_manager.core.audit import AuditEntry
from fund_manager.ledger.models import Transfer, TransferKind
from fund_manager.rounds import services
from fund_manager.rounds.models import RoundState
from tests.rounds.test_session import eligible_application, in_session, vote_all
from workflows import rounds as round_use_cases
from workflows.flows import RoundFlow

pytestmark = pytest.mark.django_db
D = Decimal


def _conduct_tasks(funding_round):
    return list(
        RoundFlow.task_class.objects.filter(
            process__roundprocess__funding_round=funding_round, flow_task=RoundFlow.conduct
        ).values_list("status", flat=True)
    )


def test_a_repeated_close_answers_the_decided_round_and_moves_nothing(setting):
    application = eligible_application(setting)
    (item,) = in_session(setting, application)
    services.set_proposal(item=item, amount=D("100.00"), conditions="", by=setting["chair"])
    vote_all(setting, item, ["yes"] * 4)
    closed = round_use_cases.close_session(
        funding_round=setting["round"], by=setting["chair"], repeat=True
    )
    assert closed.state == RoundState.DECIDED

    again = round_use_cases.close_session(
        funding_round=setting["round"], by=setting["chair"], repeat=True
    )

    assert (again.pk, again.state, again.closed_at) == (closed.pk, closed.state, closed.closed_at)
    assert Transfer.objects.filter(kind=TransferKind.COMMITMENT).count() == 1
    assert AuditEntry.objects.filter(action="application.approved").count() == 1
    assert AuditEntry.objects.filter(action="round.session_closed").count() == 1
    assert _conduct_tasks(setting["round"]) == [STATUS.DONE]


def test_without_repeat_a_second_close_is_refused(setting):
    (item,) = in_session(setting, eligible_application(setting))
    vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    with pytest.raises(services.RoundError) as refused:
        round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    assert refused.value.code == "session_not_open"


@pytest.mark.parametrize(
    "decide",
    [
        lambda application, by: application_services.approve_application(
            application=application, by=by, amount=D("1.00"), round_label="x", outcome={}
        ),
        lambda application, by: application_services.defer_application(
            application=application, by=by, round_label="x", outcome={}
        ),
        lambda application, by: application_services.reject_application(
            application=application, by=by, round_label="x", outcome={}
        ),
    ],
    ids=["approve", "defer", "reject"],
)
def test_only_a_scheduled_application_is_decided(setting, decide):
    application = eligible_application(setting)  # eligible, on no agenda yet
    audit_before = AuditEntry.objects.count()

    with pytest.raises(application_services.ApplicationError):
        decide(application, setting["chair"])

    application.refresh_from_db()
    assert (application.state, application.approved_amount) == (State.ELIGIBLE, None)
    assert AuditEntry.objects.count() == audit_before


def test_cancelling_a_round_ends_its_roundflow_through_viewflow(setting):
    """Today no cancellable round has a RoundFlow (it starts when submissions close); should one
    have it, cancelling the round cancels the process and its open task with viewflow's API."""
    office, funding_round = setting["office"], setting["round"]
    services.open_round(funding_round=funding_round, by=office)
    round_use_cases.round_submissions_closed(funding_round)  # a flow, as if started early

    round_use_cases.cancel_round(funding_round=funding_round, reason="Keine Sitzung.", by=office)

    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.CANCELLED
    process = RoundFlow.process_class.objects.get(funding_round=funding_round)
    assert process.status == PROCESS.CANCELED
    prepare = RoundFlow.task_class.objects.get(process=process, flow_task=RoundFlow.prepare)
    assert prepare.status == STATUS.CANCELED
