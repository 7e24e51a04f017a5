"""Recording when each decision's notice arrived, through the services, the page and the API.

Moved from test_minutes_and_notices.py (issue 9, defect 19): the decided round with its three
items is built once for this module; the helpers stay there."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.rounds import services
from fund_manager.rounds.models import (
    AgendaItem,
    ItemState,
)
from tests.conftest import module_data
from tests.factories import provider_user, user_with_role
from tests.rounds.conftest import build_setting
from tests.rounds.test_minutes_and_notices import (
    actions,
    api_notification_url,
    assert_not_recorded,
    client_for,
    entries,
    notice_of,
    notification_url,
    opened,
    to_state,
    today,
)
from tests.rounds.test_session import eligible_application, vote_all
from workflows import rounds as round_use_cases

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)


@module_data
def notices():
    """Round 1 decided: A approved (500.00), B rejected, C deferred. Built once for the module
    (each test gets its own copy; what a test changes is rolled back)."""
    setting = build_setting()
    approved, rejected, deferred = (eligible_application(setting) for _ in range(3))
    items = opened(setting, approved, rejected, deferred)
    chair = setting["chair"]
    to_state(setting, "in_session")
    services.set_proposal(item=items[0], amount=D("500.00"), conditions="", by=chair)
    vote_all(setting, items[0], ["yes"] * 4)
    vote_all(setting, items[1], ["no"] * 4)
    services.defer_item(item=items[2], by=chair)
    round_use_cases.close_session(funding_round=setting["round"], by=chair)
    states = [AgendaItem.objects.get(pk=item.pk).state for item in items]
    assert states == [ItemState.APPROVED, ItemState.REJECTED, ItemState.DEFERRED]
    return {**setting, "items": [AgendaItem.objects.get(pk=item.pk) for item in items]}


def test_the_office_records_when_each_notice_arrived_and_may_correct_it(notices):
    office, funding_round = notices["office"], notices["round"]
    approved, rejected, _deferred = notices["items"]
    label = str(funding_round)

    services.record_notification(item=approved, notified_on=today(), via="post", by=office)
    services.record_notification(item=rejected, notified_on=today(), via="in_person", by=office)

    assert notice_of(approved) == (today(), "post")
    assert notice_of(rejected) == (today(), "in_person")
    assert entries(approved.application, "application.notice_notified") == [
        (
            office.pk,
            {"notified_on": today().isoformat(), "via": "post", "round": label, "previous": None},
        )
    ]
    assert not [a for a in actions(approved) if "notice" in a]

    # After the minutes are signed, and a few days later, the day is corrected.
    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula", by=notices["chair"]
    )
    first_day = today()
    with time_machine.travel(timezone.now() + 3 * DAY, tick=False):
        corrected = today() - DAY
        services.record_notification(item=approved, notified_on=corrected, via="email", by=office)

    assert notice_of(approved) == (corrected, "email")
    _first, (actor, data) = entries(approved.application, "application.notice_notified")
    assert actor == office.pk
    assert data == {
        "notified_on": corrected.isoformat(),
        "via": "email",
        "round": label,
        "previous": {"notified_on": first_day.isoformat(), "via": "post"},
    }


@pytest.mark.parametrize("who", ["chair", "member", "applicant", "finance"])
def test_only_the_office_records_the_notification(notices, who):
    approved = notices["items"][0]
    user = {
        "chair": lambda: notices["chair"],
        "member": lambda: notices["members"][1],
        "applicant": lambda: approved.application.created_by,
        "finance": lambda: user_with_role("finance"),
    }[who]()

    with pytest.raises(NotPermitted):
        services.record_notification(item=approved, notified_on=today(), via="post", by=user)

    assert_not_recorded(approved)


def test_a_deferred_item_has_no_notice_to_record(notices):
    deferred = notices["items"][2]

    with pytest.raises(services.RoundError) as refused:
        services.record_notification(
            item=deferred, notified_on=today(), via="post", by=notices["office"]
        )

    assert refused.value.code == "not_decided"
    assert_not_recorded(deferred)


@pytest.mark.parametrize(
    ("days", "via", "field"),
    [
        (1, "post", "notified_on"),  # tomorrow
        (-1, "post", "notified_on"),  # before the decision (today)
        (None, "post", "notified_on"),
        (0, "fax", "via"),
        (0, "", "via"),
    ],
)
def test_a_bad_date_or_way_of_delivery_is_refused(notices, days, via, field):
    approved = notices["items"][0]
    notified_on = None if days is None else today() + days * DAY

    with pytest.raises(InvalidInput) as refused:
        services.record_notification(
            item=approved, notified_on=notified_on, via=via, by=notices["office"]
        )

    assert list(refused.value.fields) == [field]
    assert_not_recorded(approved)


@pytest.mark.parametrize("written", ["%d.%m.%Y", "%Y-%m-%d"])
def test_the_office_records_the_notification_through_the_page(client, notices, written):
    approved = notices["items"][0]
    client.force_login(notices["office"])

    response = client.post(
        notification_url(approved),
        {"notice-notified_on": today().strftime(written), "notice-via": "email"},
    )

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("applications:detail", args=[approved.application_id]) + "#decision-heading"
    )
    assert notice_of(approved) == (today(), "email")
    assert actions(approved.application).count("application.notice_notified") == 1


def test_a_future_date_through_the_page_records_nothing(client, notices):
    approved = notices["items"][0]
    client.force_login(notices["office"])

    response = client.post(
        notification_url(approved),
        {"notice-notified_on": (today() + DAY).isoformat(), "notice-via": "post"},
        follow=True,
    )

    assert response.redirect_chain[0][1] == 302
    assert len([m for m in response.context["messages"] if m.level_tag == "error"]) == 2
    assert_not_recorded(approved)


def test_the_applicant_cannot_record_the_notification_through_the_page(client, notices):
    approved = notices["items"][0]
    client.force_login(approved.application.created_by)

    response = client.post(
        notification_url(approved),
        {"notice-notified_on": today().isoformat(), "notice-via": "post"},
    )

    assert response.status_code == 403
    assert_not_recorded(approved)


def test_the_office_records_the_notification_through_the_api(notices):
    approved = notices["items"][0]

    response = client_for(notices["office"]).post(
        api_notification_url(approved), {"notified_on": today().isoformat(), "via": "post"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["notified_on"], body["notified_via"]) == (
        approved.pk,
        today().isoformat(),
        "post",
    )
    assert notice_of(approved) == (today(), "post")


@pytest.mark.parametrize(
    ("notified_on", "via", "field"),
    [
        ("31.02.2024", "post", "notified_on"),
        ("2024-02-30", "post", "notified_on"),
        (None, "post", "notified_on"),  # missing
        (1, "post", "notified_on"),  # tomorrow
        (-1, "post", "notified_on"),  # before the decision (today)
        (0, "fax", "via"),
    ],
)
def test_a_bad_notification_is_400_from_the_api(notices, notified_on, via, field):
    approved = notices["items"][0]
    body = {"via": via}
    if isinstance(notified_on, int):
        body["notified_on"] = (today() + notified_on * DAY).isoformat()
    elif notified_on is not None:
        body["notified_on"] = notified_on

    response = client_for(notices["office"]).post(
        api_notification_url(approved), body, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert_not_recorded(approved)


@pytest.mark.parametrize(("who", "status"), [("chair", 403), ("applicant", 403), ("other", 404)])
def test_others_may_not_record_the_notification_through_the_api(notices, who, status):
    approved = notices["items"][0]
    user = {
        "chair": lambda: notices["chair"],
        "applicant": lambda: approved.application.created_by,
        "other": provider_user,
    }[who]()

    response = client_for(user).post(
        api_notification_url(approved), {"notified_on": today().isoformat(), "via": "post"}
    )

    assert response.status_code == status
    assert_not_recorded(approved)


def test_the_chair_gets_403_from_the_notification_api_before_the_body_is_looked_at(notices):
    approved = notices["items"][0]

    response = client_for(notices["chair"]).post(
        api_notification_url(approved), {"notified_on": "31.02.2024", "via": "post"}
    )

    assert response.status_code == 403
    assert_not_recorded(approved)


def test_a_deferred_item_is_409_from_the_notification_api(notices):
    deferred = notices["items"][2]

    response = client_for(notices["office"]).post(
        api_notification_url(deferred), {"notified_on": today().isoformat(), "via": "post"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_decided"
    assert_not_recorded(deferred)
