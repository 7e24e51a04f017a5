"""When a session may be opened, who is present, and what the minutes say about both
(issue 9, defects 4 and 5).

Rules: the chair opens a session on its scheduled day only; to meet on another day the
project office or the chair reschedules it first (audited, members told by e-mail). The chair
records who is present when opening and late arrivals and departures; only a member recorded
present may vote or declare a conflict. The minutes state the day the session really took
place, who was present (arrivals and departures with their time) and, per item, who voted
how, who abstained and who was recused and why.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format

from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.organisations.models import Membership
from fund_manager.rounds import documents, services
from fund_manager.rounds.models import (
    Attendance,
    Entitlement,
    FundingRound,
    Recusal,
    RoundState,
    Vote,
)
from tests.factories import OrganisationFactory, user_with_role
from tests.rounds.test_services import eligible_application, on_agenda
from workflows import rounds as round_use_cases

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)


def _closed(setting, *applications):
    items = on_agenda(setting, *applications)
    round_use_cases.close_submissions(funding_round=setting["round"], by=setting["office"])
    return items


def _snapshot(funding_round):
    fresh = FundingRound.objects.get(pk=funding_round.pk)
    return (
        fresh.state,
        fresh.session_date,
        fresh.opened_at,
        fresh.chaired_by_id,
        Entitlement.objects.filter(round=fresh).count(),
        Attendance.objects.filter(round=fresh).count(),
        Recusal.objects.filter(item__round=fresh).count(),
        AuditEntry.objects.filter(action__startswith="round.").count(),
    )


def _at_noon(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def _name(user):
    return user.get_full_name() or user.username


# --- defect 4: the session day --------------------------------------------------------------
def test_defect_04_a_session_opens_on_its_day_only_and_the_minutes_state_that_day(
    setting,
    django_capture_on_commit_callbacks,
):
    chair, funding_round = setting["chair"], setting["round"]
    _closed(setting, eligible_application(setting))
    today = timezone.localdate()
    FundingRound.objects.filter(pk=funding_round.pk).update(session_date=today + 7 * DAY)
    funding_round.refresh_from_db()
    before = _snapshot(funding_round)

    # Before its day: refused, nothing changed.
    with pytest.raises(services.RoundError) as refused:
        round_use_cases.open_session(funding_round=funding_round, by=chair)
    assert refused.value.code == "session_not_due"
    assert refused.value.status_code == 409
    assert _snapshot(funding_round) == before

    # The day passed without a session: refused as well, it must be rescheduled.
    with (
        time_machine.travel(_at_noon(today + 8 * DAY), tick=False),
        pytest.raises(services.RoundError) as passed,
    ):
        round_use_cases.open_session(funding_round=funding_round, by=chair)
    assert passed.value.code == "session_day_passed"
    assert _snapshot(funding_round) == before

    # The chair moves the session to today (audited, the members are told), then opens it.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reschedule_session(
            funding_round=funding_round,
            session_date=today,
            reason="Die Mitglieder treffen sich früher.",
            by=chair,
        )
    funding_round.refresh_from_db()
    assert funding_round.session_date == today
    entry = AuditEntry.objects.filter(action="round.rescheduled").get()
    assert entry.actor == chair
    assert entry.data == {
        "from": (today + 7 * DAY).isoformat(),
        "to": today.isoformat(),
        "reason": "Die Mitglieder treffen sich früher.",
    }
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(member.email for member in setting["members"])
    assert all(today.strftime("%d.%m.%Y") in message.body for message in mail.outbox)

    round_use_cases.open_session(funding_round=funding_round, by=chair)
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.IN_SESSION
    assert timezone.localdate(funding_round.opened_at) == today


def test_defect_04_minutes_and_notices_give_the_day_the_session_took_place(
    setting,
):
    """Even for a round whose planned date differs from the day it met (data from before the
    rule), the minutes and the notice state the day the session was opened."""
    chair, funding_round = setting["chair"], setting["round"]
    (item,) = _closed(setting, eligible_application(setting))
    met = timezone.localdate()
    assert funding_round.session_date == met
    with time_machine.travel(_at_noon(met), tick=False):
        round_use_cases.open_session(funding_round=funding_round, by=chair)
        services.set_proposal(item=item, amount=D("600.00"), conditions="", by=chair)
        for member in setting["members"]:
            services.cast_vote(item=item, choice="yes", by=member)
        round_use_cases.close_session(funding_round=funding_round, by=chair)
    planned = met + 21 * DAY
    FundingRound.objects.filter(pk=funding_round.pk).update(session_date=planned)
    funding_round.refresh_from_db()
    item.refresh_from_db()

    context = documents.minutes_context(funding_round)
    assert context["session_day"] == met
    html = documents.minutes_html(funding_round)

    def german(day, pattern="j. F Y"):
        with translation.override("de"):
            return date_format(day, pattern)

    assert f"Sitzungstag</th><td>{german(met, 'l, j. F Y')}</td>" in html
    assert german(planned) not in html.split("Sitzung eröffnet")[0].split("Sitzungstag")[1]
    notice = documents.notice_html(item)
    assert f"in ihrer Sitzung am {german(met)}" in notice
    assert german(planned) not in notice


def test_defect_04_reschedule_refusals_change_nothing(setting):
    chair, office, funding_round = setting["chair"], setting["office"], setting["round"]
    _closed(setting, eligible_application(setting))
    today = timezone.localdate()
    FundingRound.objects.filter(pk=funding_round.pk).update(session_date=today + 7 * DAY)
    funding_round.refresh_from_db()
    before = _snapshot(funding_round)

    def refused(error, **kwargs):
        arguments = {
            "funding_round": funding_round,
            "session_date": today + DAY,
            "reason": "Raum belegt.",
            "by": office,
        }
        with pytest.raises(error) as caught:
            services.reschedule_session(**{**arguments, **kwargs})
        assert _snapshot(funding_round) == before
        return caught.value

    assert isinstance(refused(NotPermitted, by=setting["members"][1]), NotPermitted)
    assert isinstance(refused(NotPermitted, by=user_with_role("finance")), NotPermitted)
    early = refused(InvalidInput, session_date=today - DAY)
    assert "session_date" in early.fields
    blank = refused(InvalidInput, reason="  ")
    assert "reason" in blank.fields
    same = refused(InvalidInput, session_date=funding_round.session_date)
    assert "session_date" in same.fields

    # Not before the submission deadline.
    FundingRound.objects.filter(pk=funding_round.pk).update(
        submission_deadline=today + 3 * DAY, session_date=today + 7 * DAY
    )
    before = _snapshot(funding_round)
    deadline = refused(InvalidInput, session_date=today + 2 * DAY)
    assert "session_date" in deadline.fields

    # Once the session is open, its day is fixed.
    services.reschedule_session(
        funding_round=funding_round, session_date=today + 3 * DAY, reason="Früher.", by=office
    )
    with time_machine.travel(_at_noon(today + 3 * DAY), tick=False):
        round_use_cases.open_session(funding_round=funding_round, by=chair)
        before = _snapshot(funding_round)
        state = refused(services.RoundError, session_date=today + 5 * DAY)
    assert state.code == "round_error"


def test_defect_04_cancelling_a_round_needs_a_reason_and_an_empty_agenda(setting):
    office, funding_round = setting["office"], setting["round"]
    services.open_round(funding_round=funding_round, by=office)
    with pytest.raises(InvalidInput):
        round_use_cases.cancel_round(funding_round=funding_round, reason=" ", by=office)
    with pytest.raises(NotPermitted):
        round_use_cases.cancel_round(funding_round=funding_round, reason="x", by=setting["chair"])
    application = eligible_application(setting)
    assert funding_round.items.filter(application=application).exists()
    with pytest.raises(services.RoundError) as busy:
        round_use_cases.cancel_round(
            funding_round=funding_round, reason="Keine Sitzung.", by=office
        )
    assert busy.value.code == "agenda_not_empty"
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.OPEN
    assert not AuditEntry.objects.filter(action="round.cancelled").exists()


# --- defect 5: attendance, votes and recusal ------------------------------------------------
@pytest.fixture
def caritas_session(setting):
    """Today's session with one item of an organisation that member 2 belongs to; the chair
    and members 1 and 2 are present, member 3 is not."""
    chair, members = setting["chair"], setting["members"]
    organisation = OrganisationFactory(name="Caritasverband Herne e.V.")
    Membership.objects.create(organisation=organisation, user=members[2])
    application = eligible_application(setting, organisation=organisation)
    FundingRound.objects.filter(pk=setting["round"].pk).update(session_date=timezone.localdate())
    setting["round"].refresh_from_db()
    (item,) = _closed(setting, application)
    round_use_cases.open_session(
        funding_round=setting["round"], by=chair, present=[members[1].pk, members[2].pk]
    )
    return item


def test_defect_05_only_members_recorded_present_vote(setting, caritas_session):
    chair, members, funding_round = setting["chair"], setting["members"], setting["round"]
    item = caritas_session
    present = Attendance.objects.filter(round=funding_round, left_at__isnull=True)
    # The one who opens the session is present without ticking themselves.
    assert sorted(present.values_list("member_id", flat=True)) == sorted(
        [chair.pk, members[1].pk, members[2].pk]
    )
    assert all(a.at_opening for a in present)
    # Member 3 is entitled but absent: the vote is refused and nothing stored.
    with pytest.raises(services.RoundError) as absent:
        services.cast_vote(item=item, choice="yes", by=members[3])
    assert absent.value.code == "not_present"
    assert not Vote.objects.filter(item=item).exists()

    # The chair records the late arrival; then the vote counts.
    services.record_attendance(
        funding_round=funding_round, member=members[3], arrived=True, by=chair
    )
    services.cast_vote(item=item, choice="no", by=members[3])
    # Member 1 votes and leaves: the vote stays, a further one is refused.
    services.cast_vote(item=item, choice="yes", by=members[1])
    services.record_attendance(
        funding_round=funding_round, member=members[1], arrived=False, by=chair
    )
    with pytest.raises(services.RoundError) as left:
        services.cast_vote(item=item, choice="no", by=members[1])
    assert left.value.code == "not_present"
    assert dict(Vote.objects.filter(item=item).values_list("member_id", "choice")) == {
        members[3].pk: "no",
        members[1].pk: "yes",
    }
    # Refusals: not the chair, twice the same, the leader leaving, someone not entitled.
    with pytest.raises(NotPermitted):
        services.record_attendance(
            funding_round=funding_round, member=members[3], arrived=False, by=members[2]
        )
    with pytest.raises(services.RoundError) as twice:
        services.record_attendance(
            funding_round=funding_round, member=members[3], arrived=True, by=chair
        )
    assert twice.value.code == "already_present"
    with pytest.raises(services.RoundError) as leader:
        services.record_attendance(
            funding_round=funding_round, member=chair, arrived=False, by=chair
        )
    assert leader.value.code == "leader_cannot_leave"
    with pytest.raises(InvalidInput):
        services.record_attendance(
            funding_round=funding_round,
            member=user_with_role("steering_member"),
            arrived=True,
            by=chair,
        )
    assert Attendance.objects.filter(round=funding_round).count() == 4
    assert AuditEntry.objects.filter(action="round.member_arrived").count() == 1
    assert AuditEntry.objects.filter(action="round.member_left").count() == 1


def test_defect_05_the_minutes_list_presence_votes_and_recusals(
    setting,
    caritas_session,
):
    chair, members, funding_round = setting["chair"], setting["members"], setting["round"]
    item = caritas_session
    services.set_proposal(item=item, amount=D("600.00"), conditions="", by=chair)
    services.cast_vote(item=item, choice="yes", by=chair)
    services.cast_vote(item=item, choice="abstain", by=members[1])
    services.record_attendance(
        funding_round=funding_round, member=members[3], arrived=True, by=chair
    )
    services.cast_vote(item=item, choice="yes", by=members[3])
    services.record_attendance(
        funding_round=funding_round, member=members[1], arrived=False, by=chair
    )
    round_use_cases.close_session(funding_round=funding_round, by=chair)
    funding_round.refresh_from_db()

    context = documents.minutes_context(funding_round)
    by_name = {member["name"]: member for member in context["members"]}
    recused = members[2]
    assert by_name[_name(recused)]["present_at_opening"] is True
    assert by_name[_name(members[3])]["present_at_opening"] is False
    (row,) = context["rows"]
    assert row["voters"] == {
        "yes": sorted([_name(chair), _name(members[3])]),
        "no": [],
        "abstain": [_name(members[1])],
    }
    assert row["recusals"] == [
        {
            "name": _name(recused),
            "reason": documents.RECUSAL_TEXT[Recusal.Reason.MEMBERSHIP],
        }
    ]
    html = documents.minutes_html(funding_round)
    assert "hat an Abstimmungen teilgenommen" not in html
    recused_line = next(
        line for line in html.splitlines() if _name(recused) in line and "<li>" in line
    )
    assert "anwesend" in recused_line
    assert "Mitglied der antragstellenden Organisation" in html
    arrival = next(a for a in Attendance.objects.filter(member=members[3]))
    departure = Attendance.objects.get(member=members[1])
    assert (
        f"{_name(members[3])} – erschienen um "
        f"{timezone.localtime(arrival.arrived_at):%H:%M} Uhr" in html
    )
    assert (
        f"{_name(members[1])} – gegangen um "
        f"{timezone.localtime(departure.left_at):%H:%M} Uhr" in html
    )
    assert f"Ja: {', '.join(sorted([_name(chair), _name(members[3])]))}" in html
    assert f"Enthaltung: {_name(members[1])}" in html


def test_defect_05_declaring_a_conflict_withdraws_only_an_existing_vote(
    setting,
    caritas_session,
):
    members = setting["members"]
    item = caritas_session
    result = services.declare_conflict(item=item, by=members[1])
    assert result.vote_withdrawn is False
    entry = AuditEntry.objects.filter(action="agenda_item.conflict_declared").get()
    assert entry.data == {"vote_withdrawn": False}
    services.record_attendance(
        funding_round=setting["round"], member=members[3], arrived=True, by=setting["chair"]
    )
    services.cast_vote(item=item, choice="yes", by=members[3])
    again = services.declare_conflict(item=item, by=members[3])
    assert again.vote_withdrawn is True
    assert not Vote.objects.filter(item=item).exists()
    reasons = dict(Recusal.objects.filter(item=item).values_list("member_id", "reason"))
    assert reasons == {
        members[1].pk: Recusal.Reason.DECLARED,
        members[2].pk: Recusal.Reason.MEMBERSHIP,
        members[3].pk: Recusal.Reason.DECLARED,
    }


def test_defect_05_the_conflict_page_says_withdrawn_only_when_a_vote_was_withdrawn(
    setting,
    caritas_session,
    client,
):
    from django.urls import reverse

    members, funding_round = setting["members"], setting["round"]
    item = caritas_session
    url = reverse("rounds:conflict", args=[funding_round.pk, item.pk])

    def declared(user):
        client.force_login(user)
        response = client.post(url, follow=True)
        assert response.status_code == 200
        return [str(message) for message in response.context["messages"]]

    (message,) = declared(members[1])  # present, has not voted
    assert "zurückgenommen" not in message
    assert "withdrawn" not in message
    assert Recusal.objects.filter(item=item, member=members[1]).exists()

    services.record_attendance(
        funding_round=funding_round, member=members[3], arrived=True, by=setting["chair"]
    )
    services.cast_vote(item=item, choice="yes", by=members[3])
    (message,) = declared(members[3])
    assert "zurückgenommen" in message or "withdrawn" in message
    assert not Vote.objects.filter(item=item, member=members[3]).exists()


def test_defect_04_the_reschedule_and_cancel_pages(setting, client):
    from django.urls import reverse

    office, funding_round = setting["office"], setting["round"]
    client.force_login(office)
    reschedule = reverse("rounds:reschedule", args=[funding_round.pk])
    cancel = reverse("rounds:cancel", args=[funding_round.pk])
    detail = client.get(reverse("rounds:detail", args=[funding_round.pk])).content.decode()
    assert reschedule in detail
    assert cancel in detail
    page = client.get(reschedule)
    assert page.status_code == 200
    assert 'name="session_date"' in page.content.decode()
    # Bad input: a form error, nothing moved.
    response = client.post(reschedule, {"session_date": "", "reason": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["session_date"]
    assert FundingRound.objects.get(pk=funding_round.pk).session_date == funding_round.session_date
    # A member of the steering group without the chair role may not reschedule.
    client.force_login(setting["members"][1])
    assert client.get(reschedule).status_code == 403
    assert client.get(cancel).status_code == 403

    client.force_login(office)
    page = client.get(cancel)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    response = client.post(cancel, {"reason": ""})
    assert response.status_code == 200
    assert FundingRound.objects.get(pk=funding_round.pk).state == RoundState.PLANNED
    response = client.post(cancel, {"reason": "Keine Anträge."})
    assert response.status_code == 302
    cancelled = FundingRound.objects.get(pk=funding_round.pk)
    assert (cancelled.state, cancelled.cancellation_reason) == (
        RoundState.CANCELLED,
        "Keine Anträge.",
    )
    assert "Keine Anträge." in client.get(response["Location"]).content.decode()
