"""The session day, rescheduling, cancelling and attendance over HTTP (issue 9, defects 4
and 5): POST /rounds/{id}/open-session/ {present}, /reschedule/, /cancel/, /attendance/."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from fund_manager.core.models import AuditEntry
from fund_manager.rounds.models import (
    Attendance,
    Entitlement,
    FundingRound,
    Recusal,
    RoundState,
    Vote,
)
from tests.api.test_rounds import (
    assert_refused,
    eligible_application,
    item_url,
    post,
    round_url,
    scheduled,
)
from workflows import rounds as round_use_cases

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _closed(world):
    (item,) = scheduled(world, eligible_application(world))
    round_use_cases.close_submissions(funding_round=world.round, by=world.office)
    return item


def _unchanged(world, state=RoundState.CLOSED):
    fresh = FundingRound.objects.get(pk=world.round.pk)
    assert fresh.state == state
    assert fresh.opened_at is None
    assert not Entitlement.objects.filter(round=fresh).exists()
    assert not Attendance.objects.filter(round=fresh).exists()


def test_defect_04_open_session_before_its_day_is_409_then_reschedule_and_open(
    api,
    world,
    django_capture_on_commit_callbacks,
):
    _closed(world)
    today = timezone.localdate()
    FundingRound.objects.filter(pk=world.round.pk).update(session_date=today + 7 * DAY)

    response = post(api, world.chair, round_url(world, "open-session"))
    assert_refused(response, 409, "session_not_due")
    _unchanged(world)

    # Reschedule: refused for a member and for bad input, nothing changed.
    body = {"session_date": today.isoformat(), "reason": "Sondersitzung heute."}
    assert_refused(post(api, world.member, round_url(world, "reschedule"), body), 403)
    bad = post(api, world.office, round_url(world, "reschedule"), {**body, "reason": ""})
    assert bad.status_code == 400
    assert "reason" in bad.json()
    early = post(
        api,
        world.office,
        round_url(world, "reschedule"),
        {**body, "session_date": (today - DAY).isoformat()},
    )
    assert early.status_code == 400
    assert "session_date" in early.json()
    assert FundingRound.objects.get(pk=world.round.pk).session_date == today + 7 * DAY
    assert not AuditEntry.objects.filter(action="round.rescheduled").exists()

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = post(api, world.office, round_url(world, "reschedule"), body)
    assert moved.status_code == 200, moved.content
    assert moved.json()["session_date"] == today.isoformat()
    assert AuditEntry.objects.filter(action="round.rescheduled").count() == 1
    assert sorted(a for m in mail.outbox for a in m.to) == sorted(m.email for m in world.members)

    present = [world.members[1].pk, world.members[2].pk]
    opened = post(api, world.chair, round_url(world, "open-session"), {"present": present})
    assert opened.status_code == 200, opened.content
    assert opened.json()["state"] == "in_session"
    assert sorted(a["member"] for a in opened.json()["attendance"]) == sorted(
        [world.chair.username, world.members[1].username, world.members[2].username]
    )
    # The session is open: its day can no longer move.
    again = post(
        api,
        world.office,
        round_url(world, "reschedule"),
        {**body, "session_date": (today + DAY).isoformat()},
    )
    assert_refused(again, 409, "round_error")


def test_defect_04_open_session_accepts_only_entitled_members_as_present(
    api,
    world,
):
    _closed(world)
    response = post(
        api, world.chair, round_url(world, "open-session"), {"present": [world.outsider.pk]}
    )
    assert response.status_code == 400
    assert "present" in response.json()
    _unchanged(world)
    # Without ``present`` (as before issue 9) every entitled member is present.
    response = post(api, world.chair, round_url(world, "open-session"))
    assert response.status_code == 200
    assert len(response.json()["attendance"]) == len(world.members)


def test_defect_04_cancel_a_round_over_the_api(
    api,
    world,
):
    assert_refused(post(api, world.chair, round_url(world, "cancel"), {"reason": "x"}), 403)
    response = post(api, world.office, round_url(world, "cancel"), {"reason": "Entfällt."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    assert response.json()["cancellation_reason"] == "Entfällt."
    assert_refused(
        post(api, world.office, round_url(world, "cancel"), {"reason": "Entfällt."}),
        409,
        "round_error",
    )


def test_defect_05_absent_members_cannot_vote_until_their_arrival_is_recorded(
    api,
    world,
):
    item = _closed(world)
    absent = world.members[3]
    present = [m.pk for m in world.members[:3]]
    opened = post(api, world.chair, round_url(world, "open-session"), {"present": present})
    assert opened.status_code == 200

    refused = post(api, absent, item_url(item, "votes"), {"choice": "yes"})
    assert_refused(refused, 409, "not_present")
    assert not Vote.objects.exists()
    refused = post(api, absent, item_url(item, "recusal"))
    assert_refused(refused, 409, "not_present")
    assert not Recusal.objects.exists()

    arrival = {"member": absent.pk, "change": "arrived"}
    assert_refused(post(api, world.member, round_url(world, "attendance"), arrival), 403)
    response = post(api, world.chair, round_url(world, "attendance"), arrival)
    assert response.status_code == 200, response.content
    assert_refused(
        post(api, world.chair, round_url(world, "attendance"), arrival), 409, "already_present"
    )
    assert post(api, absent, item_url(item, "votes"), {"choice": "no"}).status_code == 200
    assert Vote.objects.get().choice == "no"

    departure = {"member": absent.pk, "change": "left"}
    response = post(api, world.chair, round_url(world, "attendance"), departure)
    assert response.status_code == 200
    stretches = [a for a in response.json()["attendance"] if a["member"] == absent.username]
    assert len(stretches) == 1
    assert stretches[0]["left_at"] is not None
    assert_refused(post(api, absent, item_url(item, "votes"), {"choice": "yes"}), 409)
    assert Vote.objects.get().choice == "no"
    leader = {"member": world.chair.pk, "change": "left"}
    assert_refused(
        post(api, world.chair, round_url(world, "attendance"), leader), 409, "leader_cannot_leave"
    )
    stranger = {"member": world.outsider.pk, "change": "arrived"}
    assert post(api, world.chair, round_url(world, "attendance"), stranger).status_code == 400
