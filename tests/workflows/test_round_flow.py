"""The RoundFlow (the chair's tasks of a funding round) and the ApplicationFlow's wait for the
steering group's decision, through the round services and the inbox page.

Set up as tests/rounds/test_session.py does: a steering group of a chair (chair and steering
member roles) and three members, round 1 planned with the deadline today and the session in a
week.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications.models import State
from fund_manager.core.errors import NotPermitted
from fund_manager.rounds import services
from fund_manager.rounds.models import (
    Entitlement,
    FundingRound,
    RoundState,
    SteeringMember,
)
from tests.conftest import module_data
from tests.factories import user_with_role
from tests.rounds.conftest import build_setting
from tests.rounds.test_session import eligible_application, vote_all
from workflows import rounds as round_use_cases
from workflows import selectors
from workflows import services as process
from workflows.flows import ApplicationFlow, RoundFlow
from workflows.models import RoundProcess

from .helpers import tasks as application_tasks

pytestmark = pytest.mark.django_db


@module_data
def setting():
    """tests/rounds/conftest.py's ``build_setting()`` (round 1 planned, a steering group of
    four, 1000.00 available), built once for this module."""
    return build_setting()


Task = RoundFlow.task_class
CHAIR_PERMISSION = "rounds.chair_session"
INBOX = reverse("workflows:inbox")


# --- helpers ------------------------------------------------------------------------------------
def round_tasks(funding_round):
    """Every task of the round's process, oldest first."""
    return list(
        Task.objects.filter(
            process__in=RoundProcess.objects.filter(funding_round=funding_round).values("pk")
        ).order_by("created", "id")
    )


def round_nodes(funding_round):
    return [(task.flow_task.name, task.status) for task in round_tasks(funding_round)]


def round_task(funding_round, name):
    (task,) = [task for task in round_tasks(funding_round) if task.flow_task.name == name]
    return task


def application_nodes(application):
    return [(task.flow_task.name, task.status) for task in application_tasks(application)]


def fresh(funding_round):
    return FundingRound.objects.get(pk=funding_round.pk)


def closed(setting):
    """Round 1 opened (its agenda collected) and closed for submissions by the office."""
    services.open_round(funding_round=setting["round"], by=setting["office"])
    return round_use_cases.close_submissions(funding_round=setting["round"], by=setting["office"])


def a_deputy(setting, *, chair_role=True):
    """A second person with a deputy seat in the round's steering group."""
    deputy = user_with_role("steering_member", first_name="Dora", last_name="Deputy")
    if chair_role:
        deputy.groups.add(Group.objects.get(name="chair"))
    chair_seat = SteeringMember.objects.get(user=setting["chair"])
    SteeringMember.objects.create(
        group=chair_seat.group, user=deputy, is_deputy=True, since=chair_seat.since
    )
    return deputy


# --- the round's process starts when the submissions close ---------------------------------------
@pytest.mark.parametrize("closed_by", ["office", "daily_job"])
def test_closing_the_submissions_gives_the_chair_the_prepare_task(setting, closed_by):
    funding_round, chair = setting["round"], setting["chair"]
    services.open_round(funding_round=funding_round, by=setting["office"])
    assert not RoundProcess.objects.exists()

    if closed_by == "office":
        round_use_cases.close_submissions(funding_round=funding_round, by=setting["office"])
    else:
        deadline = funding_round.submission_deadline
        round_use_cases.close_due_rounds(today=deadline + datetime.timedelta(days=1))

    assert fresh(funding_round).state == RoundState.CLOSED
    (flow_process,) = RoundProcess.objects.all()
    assert flow_process.funding_round_id == funding_round.pk
    assert flow_process.status == PROCESS.NEW
    assert flow_process.flow_class is RoundFlow
    assert round_nodes(funding_round) == [("start", STATUS.DONE), ("prepare", STATUS.ASSIGNED)]
    prepare = round_task(funding_round, "prepare")
    assert prepare.owner == chair
    assert prepare.owner_permission == CHAIR_PERMISSION
    assert [task.pk for task in selectors.my_tasks(chair)] == [prepare.pk]
    assert list(selectors.queue(chair)) == []
    # Once per round: a second call starts nothing.
    round_use_cases.round_submissions_closed(fresh(funding_round))
    assert RoundProcess.objects.count() == 1
    assert len(round_tasks(funding_round)) == 2


def test_the_daily_job_before_the_deadline_starts_no_process(setting):
    services.open_round(funding_round=setting["round"], by=setting["office"])
    assert round_use_cases.close_due_rounds(today=setting["round"].submission_deadline) == []
    assert fresh(setting["round"]).state == RoundState.OPEN
    assert not RoundProcess.objects.exists()


@pytest.mark.parametrize("how", ["no_chair_seat", "chair_seat_ends_before_the_session"])
def test_without_a_chair_seat_the_task_waits_in_the_queue_of_the_chairs(setting, how):
    funding_round, chair = setting["round"], setting["chair"]
    seat = SteeringMember.objects.get(user=chair)
    if how == "no_chair_seat":
        SteeringMember.objects.filter(pk=seat.pk).update(is_chair=False)
    else:
        until = funding_round.session_date - datetime.timedelta(days=1)
        SteeringMember.objects.filter(pk=seat.pk).update(until=until)
    other_chair = user_with_role("chair")
    member = setting["members"][1]

    closed(setting)

    assert round_nodes(funding_round) == [("start", STATUS.DONE), ("prepare", STATUS.NEW)]
    prepare = round_task(funding_round, "prepare")
    assert prepare.owner is None
    assert prepare.owner_permission == CHAIR_PERMISSION
    for user in (chair, other_chair):
        assert [task.pk for task in selectors.queue(user)] == [prepare.pk]
        assert list(selectors.my_tasks(user)) == []
    assert list(selectors.queue(member)) == []
    assert list(selectors.queue(setting["office"])) == []
    assert list(selectors.my_tasks(member)) == []


# --- the session moves the tasks along -----------------------------------------------------------
def test_opening_closing_and_signing_complete_the_chairs_tasks(setting):
    application = eligible_application(setting)
    funding_round, chair = setting["round"], setting["chair"]
    closed(setting)
    (item,) = funding_round.items.all()

    round_use_cases.open_session(funding_round=funding_round, by=chair)

    assert round_nodes(funding_round) == [
        ("start", STATUS.DONE),
        ("prepare", STATUS.DONE),
        ("conduct", STATUS.ASSIGNED),
    ]
    prepare = round_task(funding_round, "prepare")
    assert prepare.owner == chair
    assert prepare.finished is not None
    conduct = round_task(funding_round, "conduct")
    assert (conduct.owner, conduct.owner_permission) == (chair, CHAIR_PERMISSION)
    assert [task.pk for task in selectors.my_tasks(chair)] == [conduct.pk]

    vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=funding_round, by=chair)

    assert round_nodes(funding_round) == [
        ("start", STATUS.DONE),
        ("prepare", STATUS.DONE),
        ("conduct", STATUS.DONE),
        ("sign", STATUS.ASSIGNED),
    ]
    assert round_task(funding_round, "conduct").owner == chair
    sign = round_task(funding_round, "sign")
    assert (sign.owner, sign.owner_permission) == (chair, CHAIR_PERMISSION)
    assert [task.pk for task in selectors.my_tasks(chair)] == [sign.pk]
    assert RoundProcess.objects.get().status == PROCESS.NEW

    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=chair
    )

    assert round_nodes(funding_round) == [
        ("start", STATUS.DONE),
        ("prepare", STATUS.DONE),
        ("conduct", STATUS.DONE),
        ("sign", STATUS.DONE),
        ("end", STATUS.DONE),
    ]
    assert round_task(funding_round, "sign").owner == chair
    flow_process = RoundProcess.objects.get()
    assert flow_process.status == PROCESS.DONE
    assert flow_process.finished is not None
    assert list(selectors.my_tasks(chair)) == []
    assert fresh(funding_round).state == RoundState.MINUTED
    application.refresh_from_db()
    assert application.state == State.REJECTED


def test_the_deputy_may_lead_the_session_and_takes_the_tasks_over(setting):
    eligible_application(setting)
    funding_round, chair = setting["round"], setting["chair"]
    deputy = a_deputy(setting)
    closed(setting)
    assert round_task(funding_round, "prepare").owner == chair  # the chair, not the deputy

    round_use_cases.open_session(funding_round=funding_round, by=deputy)

    opened = fresh(funding_round)
    assert opened.state == RoundState.IN_SESSION
    assert opened.chaired_by == deputy
    assert Entitlement.objects.get(round=opened, user=deputy).is_deputy is True
    assert Entitlement.objects.get(round=opened, user=chair).is_chair is True
    prepare = round_task(funding_round, "prepare")
    assert (prepare.status, prepare.owner) == (STATUS.DONE, deputy)
    conduct = round_task(funding_round, "conduct")
    assert (conduct.status, conduct.owner) == (STATUS.ASSIGNED, deputy)
    assert list(selectors.my_tasks(chair)) == []
    assert [task.pk for task in selectors.my_tasks(deputy)] == [conduct.pk]

    (item,) = funding_round.items.all()
    vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=funding_round, by=deputy)
    sign = round_task(funding_round, "sign")
    assert (sign.status, sign.owner) == (STATUS.ASSIGNED, deputy)
    assert round_task(funding_round, "conduct").owner == deputy

    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=deputy
    )

    signed = fresh(funding_round)
    assert (signed.state, signed.minutes_signed_by) == (RoundState.MINUTED, deputy)
    assert round_task(funding_round, "sign").owner == deputy
    assert RoundProcess.objects.get().status == PROCESS.DONE


def test_a_deputy_without_the_chair_role_cannot_open_the_session(setting):
    funding_round, chair = setting["round"], setting["chair"]
    deputy = a_deputy(setting, chair_role=False)
    closed(setting)
    before = round_nodes(funding_round)

    with pytest.raises(NotPermitted):
        round_use_cases.open_session(funding_round=funding_round, by=deputy)

    unchanged = fresh(funding_round)
    assert unchanged.state == RoundState.CLOSED
    assert (unchanged.chaired_by, unchanged.opened_at) == (None, None)
    assert not Entitlement.objects.filter(round=funding_round).exists()
    assert round_nodes(funding_round) == before
    assert round_task(funding_round, "prepare").owner == chair


def test_without_a_chair_seat_the_deputy_takes_the_queued_task_by_opening(setting):
    funding_round = setting["round"]
    SteeringMember.objects.filter(user=setting["chair"]).update(is_chair=False)
    deputy = a_deputy(setting)
    closed(setting)
    assert round_task(funding_round, "prepare").owner is None

    round_use_cases.open_session(funding_round=funding_round, by=deputy)

    prepare = round_task(funding_round, "prepare")
    assert (prepare.status, prepare.owner) == (STATUS.DONE, deputy)
    conduct = round_task(funding_round, "conduct")
    assert (conduct.status, conduct.owner) == (STATUS.ASSIGNED, deputy)
    assert list(selectors.queue(deputy)) == []
    assert fresh(funding_round).chaired_by == deputy


def test_the_chair_closing_a_session_the_deputy_opened_takes_the_conduct_task(setting):
    eligible_application(setting)
    funding_round, chair = setting["round"], setting["chair"]
    deputy = a_deputy(setting)
    closed(setting)
    round_use_cases.open_session(funding_round=funding_round, by=deputy)
    (item,) = funding_round.items.all()
    vote_all(setting, item, ["no"] * 4)

    round_use_cases.close_session(funding_round=funding_round, by=chair)

    conduct = round_task(funding_round, "conduct")
    assert (conduct.status, conduct.owner) == (STATUS.DONE, chair)
    # The minutes are signed by whoever led the session (RoundFlow: "the same person").
    sign = round_task(funding_round, "sign")
    assert (sign.status, sign.owner) == (STATUS.ASSIGNED, deputy)


def test_a_round_without_a_process_still_opens_closes_and_signs(setting):
    """A round whose deadline passed before the RoundFlow existed has no process."""
    application = eligible_application(setting)
    funding_round, chair = setting["round"], setting["chair"]
    closed(setting)
    flow_process = RoundProcess.objects.filter(funding_round=funding_round)
    Task.objects.filter(process__in=flow_process.values("pk")).delete()
    flow_process.delete()
    assert not RoundProcess.objects.exists()

    round_use_cases.open_session(funding_round=funding_round, by=chair)
    (item,) = funding_round.items.all()
    vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=funding_round, by=chair)
    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=chair
    )

    signed = fresh(funding_round)
    assert signed.state == RoundState.MINUTED
    assert signed.minute_taker == "Paula Protokoll"
    assert not RoundProcess.objects.exists()
    assert not Task.objects.filter(flow_task__in=selectors.ROUND_NODES).exists()
    application.refresh_from_db()
    assert application.state == State.REJECTED


# --- the ApplicationFlow waits for the steering group ------------------------------------------
CHECKED = [("start", STATUS.DONE), ("check", STATUS.DONE), ("after_check", STATUS.DONE)]


def test_an_eligible_application_waits_for_the_decision(setting):
    application = eligible_application(setting)  # no open round yet: it waits as eligible

    assert application.state == State.ELIGIBLE
    assert application_nodes(application) == [*CHECKED, ("await_decision", STATUS.NEW)]
    assert application.process.status == PROCESS.NEW
    waiting = process.open_task(application, ApplicationFlow.await_decision)
    assert (waiting.owner, waiting.owner_permission) == (None, None)

    # Opening the round schedules it; the same task goes on waiting.
    services.open_round(funding_round=setting["round"], by=setting["office"])
    application.refresh_from_db()
    assert application.state == State.SCHEDULED
    assert application_nodes(application) == [*CHECKED, ("await_decision", STATUS.NEW)]
    assert process.open_task(application, ApplicationFlow.await_decision).pk == waiting.pk


def test_a_rejection_ends_the_process_and_an_approval_waits_for_the_settlement(setting):
    approved, rejected = eligible_application(setting), eligible_application(setting)
    funding_round, chair = setting["round"], setting["chair"]
    closed(setting)
    round_use_cases.open_session(funding_round=funding_round, by=chair)
    item_a = funding_round.items.get(application=approved)
    item_b = funding_round.items.get(application=rejected)
    services.set_proposal(item=item_a, amount=approved.requested_amount, conditions="", by=chair)
    vote_all(setting, item_a, ["yes"] * 4)
    vote_all(setting, item_b, ["no"] * 4)

    round_use_cases.close_session(funding_round=funding_round, by=chair)

    rejected.refresh_from_db()
    assert rejected.state == State.REJECTED
    assert application_nodes(rejected) == [
        *CHECKED,
        ("await_decision", STATUS.DONE),
        ("after_decision", STATUS.DONE),
        ("end", STATUS.DONE),
    ]
    assert rejected.process.status == PROCESS.DONE
    assert rejected.process.finished is not None
    assert process.open_task(rejected, ApplicationFlow.await_decision) is None

    # Issue 11: an approval's process runs on through payments, report and settlement.
    approved.refresh_from_db()
    assert approved.state == State.APPROVED
    assert application_nodes(approved) == [
        *CHECKED,
        ("await_decision", STATUS.DONE),
        ("after_decision", STATUS.DONE),
        ("await_settlement", STATUS.NEW),
    ]
    assert approved.process.status == PROCESS.NEW
    assert process.settlement_task(approved) is not None


def test_a_deferred_application_waits_again_and_the_next_round_decides_it(setting):
    application = eligible_application(setting)
    funding_round, chair, office = setting["round"], setting["chair"], setting["office"]
    closed(setting)
    round_use_cases.open_session(funding_round=funding_round, by=chair)
    (item,) = funding_round.items.all()
    services.defer_item(item=item, by=chair)

    round_use_cases.close_session(funding_round=funding_round, by=chair)

    application.refresh_from_db()
    assert application.state == State.DEFERRED
    assert application_nodes(application) == [
        *CHECKED,
        ("await_decision", STATUS.DONE),
        ("after_decision", STATUS.DONE),
        ("await_decision", STATUS.NEW),
    ]
    assert application.process.status == PROCESS.NEW
    second_wait = process.open_task(application, ApplicationFlow.await_decision)
    assert second_wait.pk == application_tasks(application, ApplicationFlow.await_decision)[1].pk

    # Round 2 collects it, and its decision ends the process.
    session_date = funding_round.session_date
    next_round = services.plan_round(
        fiscal_year=setting["year"],
        number=2,
        submission_deadline=session_date + datetime.timedelta(days=1),
        session_date=session_date + datetime.timedelta(days=7),
        by=office,
    )
    services.open_round(funding_round=next_round, by=office)
    round_use_cases.close_submissions(funding_round=next_round, by=office)
    # Round 2 meets on its day, a week later.
    day = timezone.make_aware(datetime.datetime.combine(next_round.session_date, datetime.time(10)))
    with time_machine.travel(day, tick=False):
        round_use_cases.open_session(funding_round=next_round, by=chair)
        (next_item,) = next_round.items.all()
        vote_all(setting, next_item, ["no"] * 4)
        round_use_cases.close_session(funding_round=next_round, by=chair)

    application.refresh_from_db()
    assert application.state == State.REJECTED
    assert application_nodes(application)[-4:] == [
        ("after_decision", STATUS.DONE),
        ("await_decision", STATUS.DONE),
        ("after_decision", STATUS.DONE),
        ("end", STATUS.DONE),
    ]
    assert application.process.status == PROCESS.DONE


def test_withdrawing_a_scheduled_application_cancels_the_wait(setting):
    application = eligible_application(setting)
    funding_round, chair = setting["round"], setting["chair"]
    closed(setting)
    application.refresh_from_db()
    assert application.state == State.SCHEDULED

    process.withdraw_application(application=application, by=application.created_by)

    assert application_nodes(application) == [*CHECKED, ("await_decision", STATUS.CANCELED)]
    assert application.process.status == PROCESS.CANCELED
    assert process.open_task(application, ApplicationFlow.await_decision) is None

    # The session decides nothing about it and leaves its process as it is.
    round_use_cases.open_session(funding_round=funding_round, by=chair)
    round_use_cases.close_session(funding_round=funding_round, by=chair)
    application.refresh_from_db()
    assert application.state == State.WITHDRAWN
    assert application_nodes(application) == [*CHECKED, ("await_decision", STATUS.CANCELED)]
    assert application.process.status == PROCESS.CANCELED


# --- the inbox page -------------------------------------------------------------------------------
def round_rows(content):
    return [name for name in ("prepare", "conduct", "sign") if f'data-task="{name}"' in content]


def test_the_chairs_inbox_leads_to_the_session_and_then_to_the_signing(client, setting):
    eligible_application(setting)
    funding_round, chair = setting["round"], setting["chair"]
    session_url = reverse("rounds:session", args=[funding_round.pk])
    sign_url = reverse("rounds:sign_minutes", args=[funding_round.pk])
    assert (session_url, sign_url) == (
        f"/rounds/{funding_round.pk}/session/",
        f"/rounds/{funding_round.pk}/minutes/sign/",
    )
    client.force_login(chair)
    closed(setting)

    response = client.get(INBOX)
    assert response.status_code == 200
    content = response.content.decode()
    assert round_rows(content) == ["prepare"]
    assert f'href="{session_url}"' in content
    assert f'href="{sign_url}"' not in content
    assert [task.flow_task.name for task in response.context["mine"]] == ["prepare"]
    assert response.context["mine"][0].funding_round == funding_round
    assert list(response.context["queue"]) == []

    round_use_cases.open_session(funding_round=funding_round, by=chair)
    content = client.get(INBOX).content.decode()
    assert round_rows(content) == ["conduct"]
    assert f'href="{session_url}"' in content

    (item,) = funding_round.items.all()
    vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=funding_round, by=chair)
    content = client.get(INBOX).content.decode()
    assert round_rows(content) == ["sign"]
    assert f'href="{sign_url}"' in content
    assert f'href="{session_url}"' not in content

    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=chair
    )
    assert round_rows(client.get(INBOX).content.decode()) == []


def test_a_steering_member_without_the_chair_role_sees_no_round_task(client, setting):
    funding_round = setting["round"]
    # Nobody holds the chair seat: the task waits in the queue of the chair role only.
    SteeringMember.objects.filter(user=setting["chair"]).update(is_chair=False)
    closed(setting)
    assert round_task(funding_round, "prepare").status == STATUS.NEW
    member = setting["members"][1]
    client.force_login(member)

    response = client.get(INBOX)

    assert response.status_code == 200
    content = response.content.decode()
    assert round_rows(content) == []
    assert reverse("rounds:session", args=[funding_round.pk]) not in content
    assert list(response.context["mine"]) == []
    assert list(response.context["queue"]) == []
    # A chair sees it in the group queue.
    client.force_login(setting["chair"])
    response = client.get(INBOX)
    assert round_rows(response.content.decode()) == ["prepare"]
    assert [task.flow_task.name for task in response.context["queue"]] == ["prepare"]
