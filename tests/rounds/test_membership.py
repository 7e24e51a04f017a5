"""The steering group and its seats: the rules of ``rounds.services.membership`` as tables
(every refusal changes nothing), who may change and who may read the page, the pages
themselves, the audit entries, and that ending a seat leaves an opened session as it was."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from fund_manager.core.audit import action_label
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.rounds import selectors, services
from fund_manager.rounds.models import Entitlement, RoundState, SteeringGroup, SteeringMember
from fund_manager.rounds.services.membership import SteeringGroupError
from tests.conftest import module_data
from tests.factories import FundFactory, UserFactory, funded_year, provider_user, user_with_role
from workflows import rounds as round_use_cases

pytestmark = pytest.mark.django_db
YEAR = 2024


def day(month, dom=1):
    return datetime.date(YEAR, month, dom)


# --- setting -----------------------------------------------------------------------------------
@module_data
def people():
    chair = user_with_role("chair", first_name="Clara", last_name="Chair")
    chair.groups.add(Group.objects.get(name="steering_member"))
    return {
        "office": user_with_role("project_office"),
        "chair": chair,
        "chair2": user_with_role("chair", first_name="Carl", last_name="Second"),
        "member": user_with_role("steering_member", first_name="Anna", last_name="Albers"),
        "member2": user_with_role("steering_member", first_name="Bernd", last_name="Brandt"),
        "inactive": user_with_role("steering_member", is_active=False),
        "provider": provider_user(),
        "finance": user_with_role("finance"),
        "auditor": user_with_role("auditor"),
        "nobody": UserFactory(),
    }


@pytest.fixture
def group(people):
    return SteeringGroup.objects.create(fund=FundFactory(), name="Lenkungsgruppe")


def make_seat(group, user, since, until=None, **flags):
    """Test setup: a seat straight in the database (the rules are tested on add_seat)."""
    return SteeringMember.objects.create(group=group, user=user, since=since, until=until, **flags)


def snapshot():
    """Everything the membership services may write."""
    return (
        list(SteeringGroup.objects.order_by("pk").values_list("pk", "fund_id", "name")),
        list(
            SteeringMember.objects.order_by("pk").values_list(
                "pk", "group_id", "user_id", "is_chair", "is_deputy", "votes", "since", "until"
            )
        ),
        list(AuditEntry.objects.order_by("pk").values_list("pk", "action")),
    )


def assert_refused(call, expected, detail):
    """``call`` raises ``expected`` (with ``detail``: the field of an InvalidInput or the
    error code) and nothing changed."""
    before = snapshot()
    with pytest.raises(expected) as raised:
        call()
    if expected is InvalidInput:
        assert set(raised.value.fields) == {detail}
    elif detail:
        assert raised.value.code == detail
    assert snapshot() == before


# --- create_steering_group ---------------------------------------------------------------------
def test_office_creates_the_group_of_a_fund_with_an_audit_entry(people):
    fund = FundFactory()
    group = services.create_steering_group(
        fund=fund, name="  Lenkungsgruppe  ", by=people["office"]
    )
    assert (group.fund, group.name) == (fund, "Lenkungsgruppe")
    entry = AuditEntry.objects.get(action="steering.group_created")
    assert (entry.object_id, entry.actor, entry.data) == (
        str(group.pk),
        people["office"],
        {"fund": fund.code, "name": "Lenkungsgruppe"},
    )


def test_a_second_group_for_the_same_fund_is_refused(group, people):
    assert_refused(
        lambda: services.create_steering_group(fund=group.fund, name="Zweite", by=people["office"]),
        SteeringGroupError,
        "group_exists",
    )


@pytest.mark.parametrize(
    "name", ["", "   ", None, "x" * 201], ids=["empty", "blank", "none", "long"]
)
def test_a_group_needs_a_name_of_at_most_200_characters(people, name):
    fund = FundFactory()
    assert_refused(
        lambda: services.create_steering_group(fund=fund, name=name, by=people["office"]),
        InvalidInput,
        "name",
    )


# --- add_seat: the decision table --------------------------------------------------------------
def existing(user, since, until=None, **flags):
    return (user, since, until, flags)


APRIL = day(4)


def new(user, since=APRIL, **flags):
    return {"user": user, "since": since, **flags}


ADD_SEAT = [
    # allowed
    pytest.param([], new("member"), None, None, id="a member"),
    pytest.param([], new("chair", is_chair=True), None, None, id="the chair in the chair role"),
    pytest.param([], new("member", is_deputy=True), None, None, id="a deputy"),
    pytest.param([], new("member", votes=False), None, None, id="a member without a vote"),
    pytest.param([], new("member", is_deputy=True, votes=False), None, None, id="a deputy no vote"),
    pytest.param(
        [existing("member2", day(1))], new("member"), None, None, id="two people at the same time"
    ),
    pytest.param(
        [existing("chair2", day(1), day(3, 31), is_chair=True)],
        new("chair", is_chair=True),
        None,
        None,
        id="a new chair from the day after the last chair's last day",
    ),
    pytest.param(
        [existing("member2", day(1), day(3, 31), is_deputy=True)],
        new("member", is_deputy=True),
        None,
        None,
        id="a new deputy after the last deputy",
    ),
    pytest.param(
        [existing("member", day(1), day(3, 31))],
        new("member"),
        None,
        None,
        id="the same person again after the seat ended",
    ),
    pytest.param(
        [existing("chair", day(1), is_chair=True)],
        new("member", is_deputy=True),
        None,
        None,
        id="a deputy beside the chair",
    ),
    # refused: the person and the flags
    pytest.param([], new("provider"), InvalidInput, "user", id="an applicant"),
    pytest.param([], new("finance"), InvalidInput, "user", id="finance"),
    pytest.param([], new("auditor"), InvalidInput, "user", id="the audit office"),
    pytest.param([], new("office"), InvalidInput, "user", id="the project office"),
    pytest.param([], new("nobody"), InvalidInput, "user", id="a user without a role"),
    pytest.param([], new("inactive"), InvalidInput, "user", id="an inactive member"),
    pytest.param(
        [], new("member", is_chair=True), InvalidInput, "is_chair", id="chair without chair role"
    ),
    pytest.param(
        [],
        new("chair", is_chair=True, is_deputy=True),
        InvalidInput,
        "is_deputy",
        id="chair and deputy at once",
    ),
    pytest.param(
        [], new("chair", is_chair=True, votes=False), InvalidInput, "votes", id="chair no vote"
    ),
    pytest.param([], new("member", since="2024-04-01"), InvalidInput, "since", id="since text"),
    pytest.param([], new("member", since=None), InvalidInput, "since", id="since missing"),
    pytest.param(
        [],
        new("member", since=datetime.datetime(YEAR, 4, 1, tzinfo=datetime.UTC)),
        InvalidInput,
        "since",
        id="since with a time",
    ),
    # refused: the seats the group already has
    pytest.param(
        [existing("member", day(1))],
        new("member"),
        SteeringGroupError,
        "seat_overlap",
        id="a second seat while the first lasts",
    ),
    pytest.param(
        [existing("member", day(1), day(4, 1))],
        new("member"),
        SteeringGroupError,
        "seat_overlap",
        id="a second seat on the first one's last day",
    ),
    pytest.param(
        [existing("member", day(1), day(6, 30))],
        new("member"),
        SteeringGroupError,
        "seat_overlap",
        id="a second seat inside an ended period",
    ),
    pytest.param(
        [existing("member", day(5))],
        new("member"),
        SteeringGroupError,
        "seat_overlap",
        id="an open seat before a later planned one",
    ),
    pytest.param(
        [existing("member", day(1), is_deputy=True)],
        new("member"),
        SteeringGroupError,
        "seat_overlap",
        id="a member seat beside the same person's deputy seat",
    ),
    pytest.param(
        [existing("chair2", day(1), is_chair=True)],
        new("chair", is_chair=True),
        SteeringGroupError,
        "chair_taken",
        id="a second chair",
    ),
    pytest.param(
        [existing("chair2", day(1), day(4, 1), is_chair=True)],
        new("chair", is_chair=True),
        SteeringGroupError,
        "chair_taken",
        id="a new chair on the old chair's last day",
    ),
    pytest.param(
        [existing("chair2", day(9), is_chair=True)],
        new("chair", is_chair=True),
        SteeringGroupError,
        "chair_taken",
        id="an open chair seat before a planned chair",
    ),
    pytest.param(
        [existing("member2", day(1), is_deputy=True)],
        new("member", is_deputy=True),
        SteeringGroupError,
        "deputy_taken",
        id="a second deputy",
    ),
    pytest.param(
        [existing("member2", day(2), day(8, 31), is_deputy=True)],
        new("member", is_deputy=True),
        SteeringGroupError,
        "deputy_taken",
        id="a deputy inside another deputy's period",
    ),
]


@pytest.mark.parametrize(("seats", "seat", "error", "detail"), ADD_SEAT)
def test_add_seat(group, people, seats, seat, error, detail):
    for user, since, until, flags in seats:
        make_seat(group, people[user], since, until, **flags)
    flags = {"is_chair": False, "is_deputy": False, "votes": True, **seat}
    flags["user"] = people[seat["user"]]

    def call():
        return services.add_seat(group=group, **flags, by=people["office"])

    if error is not None:
        assert_refused(call, error, detail)
        return
    added = call()
    added.refresh_from_db()
    assert (
        added.group,
        added.user,
        added.is_chair,
        added.is_deputy,
        added.votes,
        added.since,
        added.until,
    ) == (
        group,
        flags["user"],
        flags["is_chair"],
        flags["is_deputy"],
        flags["votes"],
        flags["since"],
        None,
    )


def test_seats_in_another_funds_group_do_not_count(group, people):
    other = SteeringGroup.objects.create(fund=FundFactory(code="other"), name="Andere")
    make_seat(other, people["chair"], day(1), is_chair=True)
    make_seat(other, people["member"], day(1), is_deputy=True)
    services.add_seat(
        group=group,
        user=people["chair"],
        is_chair=True,
        is_deputy=False,
        votes=True,
        since=day(4),
        by=people["office"],
    )
    services.add_seat(
        group=group,
        user=people["member"],
        is_chair=False,
        is_deputy=True,
        votes=True,
        since=day(4),
        by=people["office"],
    )
    assert group.members.count() == 2


def test_add_seat_writes_an_audit_entry_on_the_group(group, people):
    seat = services.add_seat(
        group=group,
        user=people["chair"],
        is_chair=True,
        is_deputy=False,
        votes=True,
        since=day(4),
        by=people["office"],
    )
    entry = AuditEntry.objects.get(action="steering.seat_added")
    assert (entry.object_id, entry.actor, entry.data) == (
        str(group.pk),
        people["office"],
        {
            "seat": seat.pk,
            "user": people["chair"].username,
            "is_chair": True,
            "is_deputy": False,
            "votes": True,
            "since": "2024-04-01",
        },
    )


# --- end_seat ----------------------------------------------------------------------------------
END_SEAT = [
    pytest.param(day(4), None, None, id="on its first day"),
    pytest.param(day(6, 30), None, None, id="later"),
    pytest.param(datetime.date(YEAR + 50, 1, 1), None, None, id="in the future"),
    pytest.param(day(3, 31), InvalidInput, "until", id="before its first day"),
    pytest.param("2024-06-30", InvalidInput, "until", id="as text"),
    pytest.param(None, InvalidInput, "until", id="without a day"),
    pytest.param(
        datetime.datetime(YEAR, 6, 30, tzinfo=datetime.UTC), InvalidInput, "until", id="with time"
    ),
]


@pytest.mark.parametrize(("until", "error", "detail"), END_SEAT)
def test_end_seat(group, people, until, error, detail):
    seat = make_seat(group, people["member"], day(4))

    def call():
        return services.end_seat(seat=seat, until=until, by=people["office"])

    if error is not None:
        assert_refused(call, error, detail)
        return
    call()
    seat.refresh_from_db()
    assert seat.until == until


def test_a_seat_already_ended_cannot_be_ended_again(group, people):
    seat = make_seat(group, people["member"], day(4), day(6, 30))
    assert_refused(
        lambda: services.end_seat(seat=seat, until=day(7, 31), by=people["office"]),
        SteeringGroupError,
        "seat_ended",
    )


def test_end_seat_checks_the_stored_seat_not_the_one_it_was_given(group, people):
    """Someone else ended the seat in the meantime: the stale object does not end it twice."""
    seat = make_seat(group, people["member"], day(4))
    SteeringMember.objects.filter(pk=seat.pk).update(until=day(5, 31))
    assert seat.until is None
    assert_refused(
        lambda: services.end_seat(seat=seat, until=day(7, 31), by=people["office"]),
        SteeringGroupError,
        "seat_ended",
    )


def test_end_seat_writes_an_audit_entry_on_the_group(group, people):
    seat = make_seat(group, people["member"], day(4))
    services.end_seat(seat=seat, until=day(6, 30), by=people["office"])
    entry = AuditEntry.objects.get(action="steering.seat_ended")
    assert (entry.object_id, entry.actor, entry.data) == (
        str(group.pk),
        people["office"],
        {
            "seat": seat.pk,
            "user": people["member"].username,
            "since": "2024-04-01",
            "until": "2024-06-30",
        },
    )


def test_a_person_can_hold_a_new_seat_after_the_old_one_ended(group, people):
    seat = make_seat(group, people["chair"], day(1), is_chair=True)
    services.end_seat(seat=seat, until=day(3, 31), by=people["office"])
    again = services.add_seat(
        group=group,
        user=people["chair"],
        is_chair=False,
        is_deputy=True,
        votes=True,
        since=day(4),
        by=people["office"],
    )
    assert list(group.members.order_by("since").values_list("pk", "until")) == [
        (seat.pk, day(3, 31)),
        (again.pk, None),
    ]


@pytest.mark.parametrize(
    "code", ["steering.group_created", "steering.seat_added", "steering.seat_ended"]
)
def test_the_audit_codes_have_labels(code):
    assert action_label(code) != code


# --- only the project office -------------------------------------------------------------------
ACTIONS = {
    "create_steering_group": lambda people, group: services.create_steering_group(
        fund=FundFactory(code="new"), name="Neu", by=people["actor"]
    ),
    "add_seat": lambda people, group: services.add_seat(
        group=group,
        user=people["member"],
        is_chair=False,
        is_deputy=False,
        votes=True,
        since=day(4),
        by=people["actor"],
    ),
    "end_seat": lambda people, group: services.end_seat(
        seat=make_seat(group, people["member2"], day(1)), until=day(6, 30), by=people["actor"]
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize(
    "role", ["chair", "member", "provider", "finance", "auditor", "nobody", "anonymous"]
)
def test_only_the_project_office_changes_the_steering_group(group, people, action, role):
    people = {**people, "actor": AnonymousUser() if role == "anonymous" else people[role]}
    if action == "end_seat":
        make_seat(group, people["member2"], day(1))
        seat = SteeringMember.objects.get(user=people["member2"])

        def call():
            return services.end_seat(seat=seat, until=day(6, 30), by=people["actor"])

    else:

        def call():
            return ACTIONS[action](people, group)

    assert_refused(call, NotPermitted, None)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_project_office_may(group, people, action):
    ACTIONS[action]({**people, "actor": people["office"]}, group)
    assert AuditEntry.objects.filter(action__startswith="steering.").count() == 1


# --- past sessions are never altered -----------------------------------------------------------
def test_a_seat_ended_after_the_session_opened_leaves_its_entitlements_as_they_were():
    office = user_with_role("project_office")
    chair = user_with_role("chair", first_name="Clara", last_name="Chair")
    leaving = user_with_role("steering_member", first_name="Lea", last_name="Leaving")
    staying = user_with_role("steering_member", first_name="Sven", last_name="Staying")
    joining = user_with_role("steering_member", first_name="Jana", last_name="Joining")
    year = funded_year()
    since = datetime.date(year.year, 1, 1)
    group = services.create_steering_group(fund=year.fund, name="Lenkungsgruppe", by=office)
    seats = {}
    for user, is_chair in [(chair, True), (leaving, False), (staying, False)]:
        seats[user.pk] = services.add_seat(
            group=group,
            user=user,
            is_chair=is_chair,
            is_deputy=False,
            votes=True,
            since=since,
            by=office,
        )
    today = timezone.localdate()
    funding_round = services.plan_round(
        fiscal_year=year,
        number=1,
        submission_deadline=today,
        session_date=today,  # a session opens on its day only
        by=office,
    )
    services.open_round(funding_round=funding_round, by=office)
    round_use_cases.close_submissions(funding_round=funding_round, by=office)
    round_use_cases.open_session(funding_round=funding_round, by=chair)
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.IN_SESSION

    def frozen():
        return sorted(
            Entitlement.objects.filter(round=funding_round).values_list("user_id", "is_chair")
        )

    before = frozen()
    names = selectors.member_names(funding_round)
    assert before == sorted([(chair.pk, True), (leaving.pk, False), (staying.pk, False)])

    # Membership changes between rounds: one leaves (even with a last day before the session),
    # one joins.
    services.end_seat(seat=seats[leaving.pk], until=since, by=office)
    services.add_seat(
        group=group,
        user=joining,
        is_chair=False,
        is_deputy=False,
        votes=True,
        since=today,
        by=office,
    )

    assert frozen() == before
    assert selectors.member_names(funding_round) == names
    assert selectors.round_access(leaving, funding_round).is_member
    assert not selectors.round_access(joining, funding_round).is_member
    # The next round, not yet in session, sees the group as it is now.
    next_round = services.plan_round(
        fiscal_year=year,
        number=2,
        submission_deadline=today + datetime.timedelta(days=8),
        session_date=today + datetime.timedelta(days=14),
        by=office,
    )
    assert set(selectors.participants(next_round)) == {chair.pk, staying.pk, joining.pk}


# --- the pages ---------------------------------------------------------------------------------
def page_url():
    return reverse("rounds:steering_group")


def login(user):
    client = Client()
    client.force_login(user)
    return client


def seat_post(group, user, since="2024-04-01", **flags):
    prefix = f"seat-{group.pk}"
    data = {f"{prefix}-user": user.pk, f"{prefix}-since": since}
    for name in ("is_chair", "is_deputy", "votes"):
        if flags.get(name, name == "votes"):
            data[f"{prefix}-{name}"] = "on"
    return data


def entry_for(response, group):
    return next(e for e in response.context["funds"] if e["row"].group == group)


@pytest.fixture
def seated(group, people):
    """The group with a chair and a member today and a member who left last year."""
    today = timezone.localdate()
    start = today - datetime.timedelta(days=400)
    return {
        "chair": make_seat(group, people["chair"], start, is_chair=True),
        "member": make_seat(group, people["member"], start, votes=False),
        "former": make_seat(
            group, people["member2"], start, today - datetime.timedelta(days=100), is_deputy=True
        ),
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office", 200),
        ("chair", 200),
        ("member", 200),
        ("auditor", 200),
        ("provider", 403),
        ("finance", 403),
        ("nobody", 403),
    ],
)
def test_the_page_is_for_the_office_the_steering_group_and_the_audit_office(
    seated, people, role, status
):
    assert login(people[role]).get(page_url()).status_code == status


def test_anonymous_visitors_are_sent_to_the_login(seated):
    response = Client().get(page_url())
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_office_sees_current_and_former_seats_and_the_forms(group, seated, people):
    response = login(people["office"]).get(page_url())
    entry = entry_for(response, group)
    assert [seat.pk for seat in entry["row"].current] == [seated["chair"].pk, seated["member"].pk]
    assert [seat.pk for seat in entry["row"].past] == [seated["former"].pk]
    html = response.content.decode()
    for name in ("Clara Chair", "Anna Albers", "Bernd Brandt", "Lenkungsgruppe"):
        assert name in html
    assert reverse("rounds:end_seat", args=[seated["chair"].pk]) in html
    assert reverse("rounds:end_seat", args=[seated["member"].pk]) in html
    assert reverse("rounds:end_seat", args=[seated["former"].pk]) not in html
    assert reverse("rounds:add_seat", args=[group.pk]) in html
    form = entry["seat_form"]
    assert form["since"].value() == timezone.localdate()
    assert form["votes"].value() is True
    assert f'for="id_seat-{group.pk}-user"' in html
    # Only people in the steering member or chair role are offered.
    offered = {value for value, _label in form.fields["user"].choices if value}
    assert offered == {people[key].pk for key in ("chair", "chair2", "member", "member2")}


@pytest.mark.parametrize("role", ["chair", "member", "auditor"])
def test_the_steering_group_and_the_audit_office_only_read(group, seated, people, role):
    client = login(people[role])
    response = client.get(page_url())
    html = response.content.decode()
    assert "Clara Chair" in html
    assert entry_for(response, group)["seat_form"] is None
    assert "/end/" not in html
    assert reverse("rounds:add_seat", args=[group.pk]) not in html
    before = snapshot()
    seat = seated["member"]
    fund = FundFactory(code="second")
    assert (
        client.post(
            reverse("rounds:add_seat", args=[group.pk]), seat_post(group, people["chair2"])
        ).status_code
        == 403
    )
    assert client.get(reverse("rounds:end_seat", args=[seat.pk])).status_code == 403
    assert (
        client.post(reverse("rounds:end_seat", args=[seat.pk]), {"until": "2030-01-01"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("rounds:create_steering_group", args=[fund.pk]), {f"group-{fund.pk}-name": "X"}
        ).status_code
        == 403
    )
    assert snapshot() == before


@pytest.mark.parametrize("role", ["provider", "finance", "nobody"])
def test_others_cannot_change_anything_either(group, seated, people, role):
    client = login(people[role])
    before = snapshot()
    assert (
        client.post(
            reverse("rounds:add_seat", args=[group.pk]), seat_post(group, people["chair2"])
        ).status_code
        == 403
    )
    assert client.get(reverse("rounds:end_seat", args=[seated["member"].pk])).status_code == 403
    assert snapshot() == before


def test_the_office_adds_a_seat_through_the_page(group, people):
    response = login(people["office"]).post(
        reverse("rounds:add_seat", args=[group.pk]),
        seat_post(group, people["chair"], is_chair=True),
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page_url()}#fund-{group.fund_id}"
    seat = SteeringMember.objects.get(group=group)
    assert (seat.user, seat.is_chair, seat.is_deputy, seat.votes, seat.since, seat.until) == (
        people["chair"],
        True,
        False,
        True,
        day(4),
        None,
    )
    assert AuditEntry.objects.filter(action="steering.seat_added").count() == 1


def test_an_unchecked_vote_box_adds_a_seat_without_a_vote(group, people):
    data = seat_post(group, people["member"], votes=False)
    assert (
        login(people["office"])
        .post(reverse("rounds:add_seat", args=[group.pk]), data)["Location"]
        .endswith(f"#fund-{group.fund_id}")
    )
    assert SteeringMember.objects.get(group=group).votes is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"user": "member", "is_chair": True}, "is_chair", id="chair role missing"),
        pytest.param(
            {"user": "chair", "is_chair": True, "is_deputy": True}, "is_deputy", id="chair+deputy"
        ),
        pytest.param({"user": "chair", "is_chair": True, "votes": False}, "votes", id="no vote"),
        pytest.param({"user": "provider"}, "user", id="not a candidate"),
        pytest.param({"user": "member", "since": ""}, "since", id="no first day"),
        pytest.param({"user": "member", "since": "1.4."}, "since", id="no date"),
    ],
)
def test_a_bad_seat_shows_the_form_again_and_saves_nothing(group, people, data, field):
    data = dict(data)
    user = people[data.pop("user")]
    before = snapshot()
    response = login(people["office"]).post(
        reverse("rounds:add_seat", args=[group.pk]), seat_post(group, user, **data)
    )
    assert response.status_code == 200
    form = entry_for(response, group)["seat_form"]
    assert form.is_bound
    assert field in form.errors
    assert snapshot() == before


def test_a_second_chair_through_the_page_is_a_form_error(group, seated, people):
    before = snapshot()
    response = login(people["office"]).post(
        reverse("rounds:add_seat", args=[group.pk]),
        seat_post(group, people["chair2"], since=timezone.localdate().isoformat(), is_chair=True),
    )
    assert response.status_code == 200
    form = entry_for(response, group)["seat_form"]
    assert form.non_field_errors()
    assert 'role="alert"' in response.content.decode()
    assert snapshot() == before


def test_a_fund_without_a_group_says_what_to_do_and_the_office_creates_it(people):
    fund = FundFactory()
    client = login(people["office"])
    response = client.get(page_url())
    (entry,) = response.context["funds"]
    assert entry["row"].group is None
    assert entry["group_form"] is not None
    assert entry["seat_form"] is None
    with translation.override("de"):
        assert gettext("This fund has no steering group yet.") in response.content.decode()
    url = reverse("rounds:create_steering_group", args=[fund.pk])
    response = client.post(url, {f"group-{fund.pk}-name": "Lenkungsgruppe Integration"})
    assert response.status_code == 302
    assert SteeringGroup.objects.get(fund=fund).name == "Lenkungsgruppe Integration"
    assert AuditEntry.objects.filter(action="steering.group_created").count() == 1

    before = snapshot()
    response = client.post(url, {f"group-{fund.pk}-name": "Noch eine"})
    assert response.status_code == 200
    assert snapshot() == before


def test_a_group_without_a_name_is_not_created(people):
    fund = FundFactory()
    before = snapshot()
    response = login(people["office"]).post(
        reverse("rounds:create_steering_group", args=[fund.pk]), {f"group-{fund.pk}-name": ""}
    )
    assert response.status_code == 200
    assert "name" in response.context["funds"][0]["group_form"].errors
    assert snapshot() == before


def test_the_members_see_who_sets_up_a_missing_group(people):
    FundFactory()
    response = login(people["member"]).get(page_url())
    (entry,) = response.context["funds"]
    assert entry["group_form"] is None
    with translation.override("de"):
        assert gettext("The project office sets it up.") in response.content.decode()


def test_without_any_fund_the_page_says_so(people):
    response = login(people["office"]).get(page_url())
    assert response.context["funds"] == []
    with translation.override("de"):
        text = gettext(
            "No fund has been set up yet. Once a fund exists, the project office creates its "
            "steering group here."
        )
    assert text in response.content.decode()


def test_end_seat_asks_for_the_last_day_first(seated, people):
    seat = seated["member"]
    response = login(people["office"]).get(reverse("rounds:end_seat", args=[seat.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Anna Albers" in html
    assert 'for="id_until"' in html
    assert response.context["form"]["until"].value() == timezone.localdate()
    seat.refresh_from_db()
    assert seat.until is None
    assert not AuditEntry.objects.exists()


def test_the_office_ends_a_seat_after_confirming(group, seated, people):
    seat = seated["member"]
    until = timezone.localdate()
    response = login(people["office"]).post(
        reverse("rounds:end_seat", args=[seat.pk]), {"until": until.isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page_url()}#fund-{group.fund_id}"
    seat.refresh_from_db()
    assert seat.until == until
    assert AuditEntry.objects.filter(action="steering.seat_ended").count() == 1


@pytest.mark.parametrize("until", ["", "gestern", "2000-01-01"], ids=["empty", "no date", "early"])
def test_a_bad_last_day_shows_the_form_again_and_ends_nothing(seated, people, until):
    seat = seated["member"]
    before = snapshot()
    response = login(people["office"]).post(
        reverse("rounds:end_seat", args=[seat.pk]), {"until": until}
    )
    assert response.status_code == 200
    assert "until" in response.context["form"].errors
    assert snapshot() == before


def test_an_ended_seat_has_no_end_page(seated, people):
    seat = seated["former"]
    client = login(people["office"])
    before = snapshot()
    assert client.get(reverse("rounds:end_seat", args=[seat.pk])).status_code == 302
    response = client.post(reverse("rounds:end_seat", args=[seat.pk]), {"until": "2099-01-01"})
    assert response.status_code == 302
    assert snapshot() == before


def test_the_rounds_list_links_to_the_page(people):
    response = login(people["office"]).get(reverse("rounds:list"))
    assert f'href="{page_url()}"' in response.content.decode()


def test_the_page_runs_the_same_number_of_queries_for_more_funds(people):
    def groups(count):
        for index in range(count):
            fund = FundFactory(code=f"fund-{index}", name=f"Fonds {index}")
            group = SteeringGroup.objects.create(fund=fund, name=f"Gruppe {index}")
            make_seat(group, people["chair"], day(1), is_chair=True)
            make_seat(group, people["member"], day(1), day(2, 1))
        FundFactory(code=f"bare-{count}", name=f"Ohne Gruppe {count}")

    client = login(people["office"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url()).status_code == 200
        return len(captured)

    groups(1)
    few = queries()
    SteeringMember.objects.all().delete()
    SteeringGroup.objects.all().delete()
    groups(4)
    assert queries() == few
