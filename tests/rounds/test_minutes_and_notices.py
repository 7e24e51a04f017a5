"""Before, in and after the session: proposals, the audit trail of the agenda items, opening
without members, signing the minutes and recording when each decision's notice arrived –
through the services, the pages and the API.

Set up by tests/rounds/conftest.py's ``setting``: a steering group of a chair and three members,
round 1 planned with the deadline and the session today, 1000.00 available in the action field.
Every refusal asserts that nothing changed. The tests on a decided round (built once per module)
are in test_minutes_signing.py and test_notices_recorded.py; they use the helpers here.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from viewflow.workflow.status import STATUS

from fund_manager.applications.selectors import application_history
from fund_manager.core.errors import NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.rounds import documents, services
from fund_manager.rounds.models import (
    AgendaItem,
    Entitlement,
    FundingRound,
    Recusal,
    RoundState,
    SteeringGroup,
    SteeringMember,
    Vote,
)
from tests.factories import FundFactory, funded_year, user_with_role
from tests.rounds.test_session import eligible_application, vote_all
from workflows import rounds as round_use_cases
from workflows.flows import RoundFlow

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)


# --- helpers ------------------------------------------------------------------------------------
def actions(obj):
    return list(
        AuditEntry.objects.for_object(obj).order_by("at", "id").values_list("action", flat=True)
    )


def entries(obj, action):
    return list(
        AuditEntry.objects.for_object(obj)
        .filter(action=action)
        .order_by("at", "id")
        .values_list("actor_id", "data")
    )


def fresh(funding_round):
    return FundingRound.objects.get(pk=funding_round.pk)


def today():
    return timezone.localdate()


def opened(setting, *applications):
    """Round 1 open for applications; the agenda items of ``applications`` in their order."""
    services.open_round(funding_round=setting["round"], by=setting["office"])
    by_application = {item.application_id: item for item in setting["round"].items.all()}
    return [by_application[a.pk] for a in applications]


def to_state(setting, state):
    """Move the open (or later) round 1 on to ``state`` (closed, in_session, decided,
    minuted); every item still undecided is rejected when the session closes."""
    funding_round, chair = setting["round"], setting["chair"]
    steps = ["open", "closed", "in_session", "decided", "minuted"]
    current = steps.index(fresh(funding_round).state)
    for step in steps[current + 1 : steps.index(state) + 1]:
        if step == "closed":
            round_use_cases.close_submissions(funding_round=funding_round, by=setting["office"])
        elif step == "in_session":
            round_use_cases.open_session(funding_round=funding_round, by=chair)
        elif step == "decided":
            for item in funding_round.items.all():
                vote_all(setting, item, ["no"] * 4)
            round_use_cases.close_session(funding_round=funding_round, by=chair)
        else:
            round_use_cases.sign_minutes(
                funding_round=funding_round, minute_taker="Paula", by=chair
            )
    return fresh(funding_round)


def item_row(item):
    row = AgendaItem.objects.get(pk=item.pk)
    return (
        row.proposed_amount,
        row.conditions,
        row.deferral_requested,
        row.state,
        row.notified_on,
        row.notified_via,
    )


def named_chair(setting):
    chair = setting["chair"]
    chair.first_name, chair.last_name = "Clara", "Chair"
    chair.save(update_fields=["first_name", "last_name"])
    return chair


def a_deputy(setting, *, chair_role=True):
    deputy = user_with_role("steering_member", first_name="Dora", last_name="Deputy")
    if chair_role:
        deputy.groups.add(Group.objects.get(name="chair"))
    seat = SteeringMember.objects.get(user=setting["chair"])
    SteeringMember.objects.create(group=seat.group, user=deputy, is_deputy=True, since=seat.since)
    return deputy


def chair_of_another_group():
    """The chair of the steering group of another fund (with the chair role)."""
    year = funded_year(fund=FundFactory(code="other", name="Anderer Fonds"))
    group = SteeringGroup.objects.create(fund=year.fund, name="Andere Lenkungsgruppe")
    chair = user_with_role("chair")
    chair.groups.add(Group.objects.get(name="steering_member"))
    SteeringMember.objects.create(
        group=group, user=chair, is_chair=True, since=datetime.date(year.year, 1, 1)
    )
    return chair


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# --- proposals ------------------------------------------------------------------------------------
def test_a_proposal_is_prepared_after_the_deadline_and_changed_in_the_session(setting):
    application = eligible_application(setting)
    (item,) = opened(setting, application)
    chair = setting["chair"]
    to_state(setting, "closed")

    services.set_proposal(item=item, amount=D("400.00"), conditions="Logo", by=chair)
    assert item_row(item)[:2] == (D("400.00"), "Logo")

    to_state(setting, "in_session")
    services.set_proposal(item=item, amount=D("450.50"), conditions="", by=chair)

    assert item_row(item)[:2] == (D("450.50"), "")
    assert entries(item, "agenda_item.proposal_set") == [
        (chair.pk, {"amount": "400.00", "conditions": "Logo", "funding_type": "deficit"}),
        (chair.pk, {"amount": "450.50", "conditions": "", "funding_type": "deficit"}),
    ]
    assert actions(item) == ["agenda_item.proposal_set"] * 2
    assert not [a for a in actions(application) if "proposal" in a]
    assert actions(application) == [
        "application.submitted",
        "application.review_started",
        "application.rules_assessed",
        "application.marked_eligible",
        "application.scheduled",
    ]


@pytest.mark.parametrize("state", ["open", "decided", "minuted"])
def test_no_proposal_while_the_round_is_open_or_after_the_session(setting, state):
    (item,) = opened(setting, eligible_application(setting))
    if state != "open":
        to_state(setting, state)
    before = item_row(item)
    audit_before = actions(item)

    with pytest.raises(services.RoundError) as refused:
        services.set_proposal(item=item, amount=D("100.00"), conditions="", by=setting["chair"])

    assert refused.value.code == "session_not_open"
    assert item_row(item) == before
    assert actions(item) == audit_before
    assert "agenda_item.proposal_set" not in audit_before
    assert fresh(setting["round"]).state == state


# --- the audit trail of the agenda items --------------------------------------------------------
def test_votes_are_logged_on_the_item_and_never_on_the_application(setting):
    application = eligible_application(setting)
    (item,) = opened(setting, application)
    to_state(setting, "in_session")
    member = setting["members"][1]

    services.cast_vote(item=item, choice="yes", by=member)
    services.cast_vote(item=item, choice="no", by=member)

    assert actions(item) == ["agenda_item.vote_cast", "agenda_item.vote_changed"]
    assert entries(item, "agenda_item.vote_cast") == [(member.pk, {"choice": "yes"})]
    assert entries(item, "agenda_item.vote_changed") == [(member.pk, {"choice": "no"})]
    assert Vote.objects.get(item=item).choice == "no"
    history = [entry.action for entry in application_history(application)]
    assert not [action for action in history if "vote" in action]
    assert not [action for action in history if action.startswith("agenda_item.")]

    # A refused vote writes nothing.
    with pytest.raises(NotPermitted):
        services.cast_vote(item=item, choice="yes", by=user_with_role("steering_member"))
    assert actions(item) == ["agenda_item.vote_cast", "agenda_item.vote_changed"]


def test_a_declared_conflict_and_a_deferral_are_logged_on_the_item(setting):
    application = eligible_application(setting)
    (item,) = opened(setting, application)
    to_state(setting, "in_session")
    chair, member = setting["chair"], setting["members"][2]
    services.cast_vote(item=item, choice="yes", by=member)

    services.declare_conflict(item=item, by=member)
    services.defer_item(item=item, by=chair)
    services.defer_item(item=item, by=chair)

    assert actions(item) == [
        "agenda_item.vote_cast",
        "agenda_item.conflict_declared",
        "agenda_item.deferral_requested",
    ]
    assert entries(item, "agenda_item.conflict_declared") == [(member.pk, {"vote_withdrawn": True})]
    assert entries(item, "agenda_item.deferral_requested") == [(chair.pk, {})]
    assert not Vote.objects.filter(item=item).exists()
    assert Recusal.objects.get(item=item).member == member
    assert AgendaItem.objects.get(pk=item.pk).deferral_requested is True
    history = [entry.action for entry in application_history(application)]
    assert not [action for action in history if action.startswith("agenda_item.")]


def test_reordering_the_agenda_is_logged_on_the_round(setting):
    first, second = eligible_application(setting), eligible_application(setting)
    item_a, item_b = opened(setting, first, second)
    funding_round, office = setting["round"], setting["office"]
    before = actions(funding_round)

    services.move_item(item=item_b, direction="up", by=office)

    assert actions(funding_round) == [*before, "round.agenda_reordered"]
    assert entries(funding_round, "round.agenda_reordered") == [
        (
            office.pk,
            {
                "reference": second.reference,
                "direction": "up",
                "order": [second.reference, first.reference],
            },
        )
    ]
    positions = dict(AgendaItem.objects.values_list("pk", "position"))
    assert positions == {item_b.pk: 1, item_a.pk: 2}
    # Nothing to swap at the top: no change, no entry.
    services.move_item(item=item_b, direction="up", by=office)
    assert actions(funding_round).count("round.agenda_reordered") == 1
    assert dict(AgendaItem.objects.values_list("pk", "position")) == positions
    # The chair does not reorder.
    with pytest.raises(NotPermitted):
        services.move_item(item=item_a, direction="up", by=setting["chair"])
    assert dict(AgendaItem.objects.values_list("pk", "position")) == positions
    assert actions(funding_round).count("round.agenda_reordered") == 1


# --- opening without anybody to vote ------------------------------------------------------------
def no_voting_seats(setting, how):
    seats = SteeringMember.objects.filter(group__fund=setting["year"].fund)
    if how == "no_vote":
        seats.update(votes=False)
    else:
        seats.update(until=setting["round"].session_date - DAY)


def assert_not_opened(setting):
    funding_round = fresh(setting["round"])
    assert funding_round.state == RoundState.CLOSED
    assert (funding_round.opened_at, funding_round.chaired_by) == (None, None)
    assert not Entitlement.objects.filter(round=funding_round).exists()
    assert not Recusal.objects.exists()
    assert "round.session_opened" not in actions(funding_round)
    prepare = round_use_cases.round_task(funding_round, RoundFlow.prepare)
    assert (prepare.status, prepare.owner) == (STATUS.ASSIGNED, setting["chair"])


@pytest.mark.parametrize("how", ["no_vote", "seats_ended"])
def test_a_session_without_any_voting_seat_is_not_opened(setting, how):
    opened(setting, eligible_application(setting))
    to_state(setting, "closed")
    no_voting_seats(setting, how)

    # Without a voting seat on the session day nobody may chair it (the chair seat must vote).
    with pytest.raises(NotPermitted):
        round_use_cases.open_session(funding_round=setting["round"], by=setting["chair"])

    assert_not_opened(setting)


# --- signing the minutes --------------------------------------------------------------------------
def minutes_row(funding_round):
    row = fresh(funding_round)
    return (row.state, row.minute_taker, row.minutes_signed_at, row.minutes_signed_by_id)


def assert_not_signed(funding_round, state=RoundState.DECIDED):
    assert minutes_row(funding_round) == (state, "", None, None)
    assert "round.minutes_signed" not in actions(funding_round)


def test_the_deputy_who_led_the_session_signs_and_the_minutes_say_so(setting):
    named_chair(setting)
    deputy = a_deputy(setting)
    opened(setting, eligible_application(setting))
    to_state(setting, "closed")
    funding_round = setting["round"]
    round_use_cases.open_session(funding_round=funding_round, by=deputy)
    for item in funding_round.items.all():
        vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=funding_round, by=deputy)

    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=deputy
    )

    assert minutes_row(funding_round)[::3] == (RoundState.MINUTED, deputy.pk)
    context = documents.minutes_context(fresh(funding_round))
    assert (context["chair_name"], context["led_by_deputy"]) == ("Dora Deputy", True)
    assert (context["minute_taker"], context["signed_by"]) == ("Paula Protokoll", "Dora Deputy")
    html = documents.minutes_html(fresh(funding_round))
    assert (
        '<th scope="row">Sitzungsleitung</th><td>Dora Deputy (stellvertretender Vorsitz)</td>'
    ) in html
    assert "Dora Deputy, stellvertretender Vorsitz der Lenkungsgruppe" in html
    assert "von Dora Deputy im Fachverfahren als richtig bestätigt" in html
    assert "Paula Protokoll, Protokollführung" in html


def test_the_chair_signs_the_minutes_of_a_session_the_deputy_led(setting):
    chair = named_chair(setting)
    deputy = a_deputy(setting)
    opened(setting, eligible_application(setting))
    to_state(setting, "closed")
    funding_round = setting["round"]
    round_use_cases.open_session(funding_round=funding_round, by=deputy)
    for item in funding_round.items.all():
        vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=funding_round, by=deputy)

    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=chair
    )

    assert minutes_row(funding_round)[::3] == (RoundState.MINUTED, chair.pk)
    context = documents.minutes_context(fresh(funding_round))
    assert (context["chair_name"], context["signed_by"]) == ("Dora Deputy", "Clara Chair")


def test_a_deputy_standing_in_for_a_vacant_chair_is_named_deputy_in_the_minutes(setting):
    deputy = a_deputy(setting)
    SteeringMember.objects.filter(user=setting["chair"]).update(is_chair=False)
    opened(setting, eligible_application(setting))
    to_state(setting, "closed")
    funding_round = setting["round"]
    round_use_cases.open_session(funding_round=funding_round, by=deputy)
    for item in funding_round.items.all():
        vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=funding_round, by=deputy)
    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=deputy
    )

    html = documents.minutes_html(fresh(funding_round))

    assert "<li>Dora Deputy (stellvertretender Vorsitz)" in html
    assert (
        '<th scope="row">Sitzungsleitung</th><td>Dora Deputy (stellvertretender Vorsitz)</td>'
    ) in html
    assert "Dora Deputy, stellvertretender Vorsitz der Lenkungsgruppe" in html


@pytest.mark.parametrize(
    "who", ["member", "office", "chair_of_another_group", "deputy_without_chair_role", "provider"]
)
def test_only_the_chair_or_the_deputy_signs(setting, who):
    deputy = a_deputy(setting, chair_role=False)  # seated before the session: entitled
    opened(setting, eligible_application(setting))
    funding_round = to_state(setting, "decided")
    assert Entitlement.objects.get(round=funding_round, user=deputy).is_deputy is True
    user = {
        "member": lambda: setting["members"][1],
        "office": lambda: setting["office"],
        "chair_of_another_group": chair_of_another_group,
        "deputy_without_chair_role": lambda: deputy,
        "provider": lambda: funding_round.items.get().application.created_by,
    }[who]()

    with pytest.raises(NotPermitted):
        round_use_cases.sign_minutes(funding_round=funding_round, minute_taker="Paula", by=user)

    assert_not_signed(funding_round)
    sign = round_use_cases.round_task(funding_round, RoundFlow.sign)
    assert (sign.status, sign.owner) == (STATUS.ASSIGNED, setting["chair"])


@pytest.mark.parametrize("state", ["closed", "in_session"])
def test_the_minutes_are_not_signed_before_the_session_closed(setting, state):
    opened(setting, eligible_application(setting))
    funding_round = to_state(setting, state)

    chair = setting["chair"]

    with pytest.raises(services.RoundError) as refused:
        round_use_cases.sign_minutes(funding_round=funding_round, minute_taker="Paula", by=chair)

    assert refused.value.code == "round_error"

    assert_not_signed(funding_round, state=state)


# --- recording when the notice arrived ------------------------------------------------------------
def notice_of(item):
    row = AgendaItem.objects.get(pk=item.pk)
    return (row.notified_on, row.notified_via)


def assert_not_recorded(item):
    assert notice_of(item) == (None, "")
    assert "application.notice_notified" not in actions(item.application)


def test_a_pending_item_of_a_round_in_session_has_no_notice_to_record(setting):
    (item,) = opened(setting, eligible_application(setting))
    to_state(setting, "in_session")

    with pytest.raises(services.RoundError) as refused:
        services.record_notification(
            item=item, notified_on=today(), via="post", by=setting["office"]
        )

    assert refused.value.code == "not_decided"
    assert_not_recorded(item)


# --- the pages ------------------------------------------------------------------------------------
def sign_url(funding_round):
    return reverse("rounds:sign_minutes", args=[funding_round.pk])


def test_signing_through_the_page_before_the_session_closed_changes_nothing(client, setting):
    opened(setting, eligible_application(setting))
    funding_round = to_state(setting, "in_session")
    client.force_login(setting["chair"])

    assert client.get(sign_url(funding_round)).context["can_sign"] is False
    response = client.post(sign_url(funding_round), {"minute_taker": "Paula"})

    assert response.status_code == 302
    assert response["Location"] == reverse("rounds:session", args=[funding_round.pk])
    assert_not_signed(funding_round, state=RoundState.IN_SESSION)


def notification_url(item):
    return reverse("rounds:record_notification", args=[item.pk])


# --- the API --------------------------------------------------------------------------------------
def api_sign_url(funding_round):
    return f"/api/v1/rounds/{funding_round.pk}/sign-minutes/"


def api_notification_url(item):
    return f"/api/v1/agenda-items/{item.pk}/notification/"
