"""The round pages: who sees which page, planning and agenda, the session, voting with and
without JavaScript, the live tally, closing with and without enough money, and a whole session
of ten items run through the pages only (the acceptance point of the funding-rounds issue)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from fund_manager.applications.models import State
from fund_manager.ledger import services as ledger
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.organisations.models import Membership
from fund_manager.rounds import services
from fund_manager.rounds.models import (
    AgendaItem,
    Attendance,
    Entitlement,
    FundingRound,
    ItemState,
    Recusal,
    RoundState,
    SteeringGroup,
    SteeringMember,
    Vote,
)
from tests.conftest import module_data
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    OrganisationFactory,
    force_state,
    funded_year,
    provider_user,
    user_with_role,
)
from tests.workflows.helpers import assessments_for
from workflows import rounds as round_use_cases
from workflows import services as process

pytestmark = pytest.mark.django_db
D = Decimal
NBSP = "\u00a0"
TODAY = timezone.localdate()
WEEK = datetime.timedelta(days=7)


# --- setting (as in test_session.py, with names for the members) --------------------------------
@module_data
def base():
    office = user_with_role("project_office")
    finance = user_with_role("finance")
    year = funded_year(finance=finance)
    field = ActionFieldFactory(fund=year.fund)
    ledger.allocate(
        fiscal_year=year, action_field=field, amount=D("10000.00"), by=finance, idempotency_key="a"
    )
    group = SteeringGroup.objects.create(fund=year.fund, name="Lenkungsgruppe")
    chair = user_with_role("chair", first_name="Clara", last_name="Chair")
    chair.groups.add(Group.objects.get(name="steering_member"))
    members = [chair] + [
        user_with_role("steering_member", first_name=first, last_name=last)
        for first, last in [("Anna", "Albers"), ("Bernd", "Brandt"), ("Doris", "Dorn")]
    ]
    since = datetime.date(year.year, 1, 1)
    for index, member in enumerate(members):
        SteeringMember.objects.create(group=group, user=member, is_chair=index == 0, since=since)
    return {
        "office": office,
        "finance": finance,
        "year": year,
        "field": field,
        "chair": chair,
        "members": members,
        "outsider": user_with_role("steering_member", first_name="Otto", last_name="Outside"),
        "provider": provider_user(),
    }


@pytest.fixture
def setting(base):
    base["round"] = services.plan_round(
        fiscal_year=base["year"],
        number=1,
        submission_deadline=TODAY,
        session_date=TODAY,  # a session opens on its day only
        by=base["office"],
    )
    return base


def login(user):
    client = Client()
    client.force_login(user)
    return client


def url(name, funding_round, item=None):
    args = [funding_round.pk] if item is None else [funding_round.pk, item.pk]
    return reverse(f"rounds:{name}", args=args)


def eligible_application(setting, organisation=None, amount=None):
    amount = amount or D("600.00")
    organisation = organisation or OrganisationFactory()
    provider = provider_user(organisation)
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        fiscal_year=setting["year"],
        action_field=setting["field"],
        own_funds=D("0.00"),
        cost_items=[amount],
    )

    process.submit_application(application=application, by=provider)
    task = process.claim_check(task=process.open_task(application), by=setting["office"])
    return process.complete_check(
        task=task, by=setting["office"], outcome="eligible", assessments=assessments_for("eligible")
    )


def agenda_via_pages(setting, funding_round, applications):
    """The office opens the round, puts what is still waiting on the agenda, closes it."""
    office = login(setting["office"])
    assert office.post(url("open", funding_round)).status_code == 302
    # Opening may already have collected the waiting applications (services.open_round).
    on_agenda = set(funding_round.items.values_list("application_id", flat=True))
    waiting = [a.pk for a in applications if a.pk not in on_agenda]
    if waiting:
        response = office.post(url("add_items", funding_round), {"applications": waiting})
        assert response.status_code == 302
    assert office.post(url("close_submissions", funding_round)).status_code == 302
    by_application = {item.application_id: item for item in funding_round.items.all()}
    return [by_application[a.pk] for a in applications]


def in_session(setting, *applications):
    items = agenda_via_pages(setting, setting["round"], applications)
    # Everyone is present (only present members vote).
    present = [member.pk for member in setting["members"]]
    response = login(setting["chair"]).post(
        url("open_session", setting["round"]), {"present": present}
    )
    assert response.status_code == 302
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.IN_SESSION
    return items


def vote(user, item, choice, client=None):
    client = client or login(user)
    return client.post(url("cast_vote", item.round, item), {"choice": choice})


def vote_all(setting, item, choices):
    for member, choice in zip(setting["members"], choices, strict=False):
        if choice is not None:
            assert vote(member, item, choice).status_code == 302


def propose(setting, item, amount, conditions=""):
    prefix = f"item-{item.pk}"
    return login(setting["chair"]).post(
        url("proposal", item.round, item),
        {f"{prefix}-amount": amount, f"{prefix}-conditions": conditions},
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- who sees which page -----------------------------------------------------------------------
ALLOWED = {
    "list": {"office", "chair", "member", "outsider"},
    "detail": {"office", "chair", "member"},
    "session": {"chair"},
    "open_session": {"chair"},
    "close_session": {"chair"},
    "defer": {"chair"},
    "vote": {"chair", "member"},
    "conflict": {"chair", "member"},
    "tally": {"chair", "member"},
    "close_submissions": {"office"},
}


@pytest.mark.parametrize("role", ["office", "chair", "member", "outsider", "provider", "finance"])
def test_each_page_answers_200_for_its_roles_and_403_for_everybody_else(setting, role):
    (item,) = in_session(setting, eligible_application(setting))
    user = setting["members"][1] if role == "member" else setting[role]
    client = login(user)
    statuses = {}
    for page in ALLOWED:
        if page == "list":
            target = reverse("rounds:list")
        elif page in ("defer", "conflict"):
            target = url(page, setting["round"], item)
        else:
            target = url(page, setting["round"])
        statuses[page] = client.get(target).status_code
    assert statuses == {page: 200 if role in roles else 403 for page, roles in ALLOWED.items()}


def test_a_steering_member_without_a_seat_sees_no_rounds(setting):
    response = login(setting["outsider"]).get(reverse("rounds:list"))
    assert response.status_code == 200
    assert response.context["years"] == []
    assert url("detail", setting["round"]) not in response.content.decode()


def test_unknown_rounds_and_items_of_another_round_are_404_and_strangers_must_log_in(setting):
    (item,) = in_session(setting, eligible_application(setting))
    chair = login(setting["chair"])
    assert chair.get(reverse("rounds:detail", args=[9999])).status_code == 404
    other = services.plan_round(
        fiscal_year=setting["year"],
        number=2,
        submission_deadline=TODAY + 2 * WEEK,
        session_date=TODAY + 3 * WEEK,
        by=setting["office"],
    )
    assert chair.get(url("defer", other, item)).status_code == 404
    anonymous = Client().get(url("vote", setting["round"]))
    assert anonymous.status_code == 302
    assert reverse("login") in anonymous["Location"]


def test_tally_json_refuses_others_with_a_json_403(setting):
    in_session(setting, eligible_application(setting))
    for user in (setting["office"], setting["outsider"], setting["finance"]):
        response = login(user).get(url("tally", setting["round"]))
        assert response.status_code == 403
        assert response.json()["code"] == "not_permitted"


def test_vote_posts_of_non_members_are_refused_and_change_nothing(setting):
    (item,) = in_session(setting, eligible_application(setting))
    assert vote(setting["outsider"], item, "yes").status_code == 403
    response = login(setting["office"]).post(
        url("cast_vote", setting["round"], item),
        {"choice": "yes"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 403
    assert not Vote.objects.exists()


# --- planning -----------------------------------------------------------------------------------
def plan(setting, **data):
    values = {
        "fiscal_year": setting["year"].pk,
        "number": 2,
        "submission_deadline": (TODAY + 2 * WEEK).isoformat(),
        "session_date": (TODAY + 3 * WEEK).isoformat(),
    }
    values.update(data)
    return login(setting["office"]).post(reverse("rounds:list"), values)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # the session before the deadline
        ({"session_date": (TODAY + WEEK).isoformat()}, "session_date"),
        # overlapping round 1 (deadline and session today): the deadline on its session day
        ({"submission_deadline": TODAY.isoformat()}, None),
        # the same number again
        ({"number": 1}, "number"),
        # no date at all
        ({"session_date": ""}, "session_date"),
    ],
)
def test_planning_with_bad_dates_shows_form_errors_and_creates_nothing(setting, data, field):
    response = plan(setting, **data)
    assert response.status_code == 200
    form = response.context["form"]
    if field is None:
        assert form.errors["submission_deadline"]
    else:
        assert form.errors[field]
    assert FundingRound.objects.count() == 1


def test_planning_a_round_warns_while_the_year_has_fewer_than_four(setting):
    response = plan(setting)
    funding_round = FundingRound.objects.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == url("detail", funding_round)
    page = login(setting["office"]).get(reverse("rounds:list"))
    (row,) = page.context["years"]
    assert [r.number for r in row["rounds"]] == [1, 2]
    assert row["warning"] == services.rounds_per_year_warning(setting["year"])
    assert row["warning"]
    assert str(row["warning"]) in page.content.decode()
    assert page.context["form"].initial["number"] == 3


def test_the_plan_form_is_for_the_office_only(setting):
    response = login(setting["chair"]).get(reverse("rounds:list"))
    assert response.context["form"] is None
    response = login(setting["chair"]).post(
        reverse("rounds:list"),
        {"fiscal_year": setting["year"].pk, "number": 2},
    )
    assert response.status_code == 403
    assert FundingRound.objects.count() == 1


# --- agenda (project office) -------------------------------------------------------------------
def waiting_application(setting):
    """Eligible, but not put on an agenda by the workflow (so the office adds it by hand)."""
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        fiscal_year=setting["year"],
        action_field=setting["field"],
        own_funds=D("0.00"),
        cost_items=[D("800.00")],
    )

    process.submit_application(application=application, by=provider)
    return force_state(application, State.ELIGIBLE)


def test_the_office_opens_the_round_adds_applications_and_closes_submissions(setting):
    office = login(setting["office"])
    funding_round = setting["round"]
    response = office.get(url("detail", funding_round))
    assert response.context["add_form"] is None  # planned: nothing to add yet
    assert office.post(url("open", funding_round)).status_code == 302
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.OPEN

    first, second = waiting_application(setting), waiting_application(setting)
    page = office.get(url("detail", funding_round))
    choices = set(page.context["add_form"].fields["applications"].queryset)
    assert {first, second} <= choices
    response = office.post(url("add_items", funding_round), {"applications": [first.pk, second.pk]})
    assert response.status_code == 302
    assert list(funding_round.items.values_list("application_id", "position")) == [
        (first.pk, 1),
        (second.pk, 2),
    ]
    first.refresh_from_db()
    assert first.state == State.SCHEDULED
    page = office.get(url("detail", funding_round))
    assert first.reference in page.content.decode()
    assert first not in set(page.context["add_form"].fields["applications"].queryset)

    confirm = office.get(url("close_submissions", funding_round))
    assert confirm.status_code == 200
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.OPEN  # GET only asks
    assert office.post(url("close_submissions", funding_round)).status_code == 302
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.CLOSED

    late = waiting_application(setting)
    response = office.post(
        url("add_items", funding_round), {"applications": [late.pk]}, follow=True
    )
    assert messages_of(response)
    assert funding_round.items.count() == 2
    late.refresh_from_db()
    assert late.state == State.ELIGIBLE


def test_the_office_reorders_the_agenda_and_moves_an_item_to_another_open_round(setting):
    office = login(setting["office"])
    funding_round = setting["round"]
    office.post(url("open", funding_round))
    first, second, third = (waiting_application(setting) for _ in range(3))
    office.post(url("add_items", funding_round), {"applications": [first.pk, second.pk, third.pk]})
    item = funding_round.items.get(application=third)
    page = office.get(url("detail", funding_round))
    assert page.context["can_reorder"]
    assert url("move_item", funding_round, item) in page.content.decode()

    assert (
        office.post(url("move_item", funding_round, item), {"direction": "up"}).status_code == 302
    )
    order = list(funding_round.items.order_by("position").values_list("application_id", flat=True))
    assert order == [first.pk, third.pk, second.pk]

    later = services.plan_round(
        fiscal_year=setting["year"],
        number=2,
        submission_deadline=TODAY + 2 * WEEK,
        session_date=TODAY + 3 * WEEK,
        by=setting["office"],
    )
    services.open_round(funding_round=later, by=setting["office"])
    page = office.get(url("detail", funding_round))
    assert later in set(page.context["move_form"].fields["target"].queryset)
    response = office.post(url("move_to_round", funding_round, item), {"target": later.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.round == later
    assert list(funding_round.items.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
    ]


def test_members_see_the_agenda_but_no_office_actions(setting):
    office = login(setting["office"])
    office.post(url("open", setting["round"]))
    waiting_application(setting)
    page = login(setting["members"][1]).get(url("detail", setting["round"]))
    assert page.status_code == 200
    assert page.context["add_form"] is None
    assert not page.context["can_reorder"]
    assert url("close_submissions", setting["round"]) not in page.content.decode()


# --- the session (chair) ------------------------------------------------------------------------
def test_opening_the_session_asks_first_then_freezes_the_entitled_members(setting):
    agenda_via_pages(setting, setting["round"], [eligible_application(setting)])
    chair = login(setting["chair"])
    confirm = chair.get(url("open_session", setting["round"]))
    assert confirm.status_code == 200
    assert "Anna Albers" in confirm.content.decode()
    assert not Entitlement.objects.exists()
    absent = setting["members"][-1]
    present = [m.pk for m in setting["members"] if m != absent]
    response = chair.post(url("open_session", setting["round"]), {"present": present[1:]})
    assert response["Location"] == url("session", setting["round"])
    assert set(Entitlement.objects.values_list("user_id", flat=True)) == {
        m.pk for m in setting["members"]
    }
    # The chair opening it is present without ticking; the unticked member is absent.
    assert set(
        Attendance.objects.filter(round=setting["round"], left_at__isnull=True).values_list(
            "member_id", flat=True
        )
    ) == set(present)


def test_a_proposal_above_the_requested_amount_is_a_form_error(setting):
    (item,) = in_session(setting, eligible_application(setting, amount=D("1234.56")))
    response = propose(setting, item, "1.234,57")
    assert response.status_code == 200
    form = {row.item.pk: form for row, form in response.context["rows"]}[item.pk]
    with translation.override("de"):
        expected = gettext("The proposal cannot exceed the requested amount.")
    assert form.errors["amount"] == [expected]
    item.refresh_from_db()
    assert item.proposed_amount is None

    response = propose(setting, item, "1.234,56", "Verwendungsnachweis bis 31.12.")
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.proposed_amount, item.conditions) == (
        D("1234.56"),
        "Verwendungsnachweis bis 31.12.",
    )


def test_a_proposal_needs_an_amount_above_zero(setting):
    (item,) = in_session(setting, eligible_application(setting))
    response = propose(setting, item, "0")
    assert response.status_code == 200
    assert item.pk in {row.item.pk for row, form in response.context["rows"] if form.errors}
    item.refresh_from_db()
    assert item.proposed_amount is None


def test_the_chair_defers_an_item_after_confirming(setting):
    application = eligible_application(setting)
    (item,) = in_session(setting, application)
    chair = login(setting["chair"])
    assert chair.get(url("defer", setting["round"], item)).status_code == 200
    item.refresh_from_db()
    assert not item.deferral_requested
    assert chair.post(url("defer", setting["round"], item)).status_code == 302
    item.refresh_from_db()
    assert item.deferral_requested
    session = chair.get(url("session", setting["round"]))
    assert url("defer", setting["round"], item) not in session.content.decode()

    assert chair.post(url("close_session", setting["round"]), {"confirm": "1"}).status_code == 302
    application.refresh_from_db()
    assert application.state == State.DEFERRED


def test_closing_the_session_decides_every_item_and_books_the_commitments(setting):
    first, second = eligible_application(setting), eligible_application(setting)
    item_a, item_b = in_session(setting, first, second)
    assert propose(setting, item_a, "500,00", "Nachweis").status_code == 302
    assert propose(setting, item_b, "600,00").status_code == 302
    vote_all(setting, item_a, ["yes", "yes", "no", "abstain"])
    vote_all(setting, item_b, ["yes", "no", "no", "yes"])  # a tie rejects

    chair = login(setting["chair"])
    confirm = chair.get(url("close_session", setting["round"]))
    assert confirm.status_code == 200
    results = {row.item.pk: row.outcome.result for row in confirm.context["rows"]}
    assert results == {item_a.pk: "approved", item_b.pk: "rejected"}
    (check,) = confirm.context["fields"]
    assert (check.approved, check.available, check.shortfall) == (
        D("500.00"),
        D("10000.00"),
        D("0.00"),
    )
    assert not Transfer.objects.filter(kind=TransferKind.COMMITMENT).exists()

    response = chair.post(url("close_session", setting["round"]), {"confirm": "1"})
    assert response["Location"] == url("session", setting["round"])
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.DECIDED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.approved_amount) == (State.APPROVED, D("500.00"))
    assert second.state == State.REJECTED
    committed = Account.objects.get(kind=AccountKind.COMMITTED, application=first)
    assert committed.balance == D("500.00")
    assert Transfer.objects.filter(kind=TransferKind.COMMITMENT).count() == 1

    page = chair.get(url("session", setting["round"]))
    assert page.status_code == 200
    assert not page.context["live"]
    assert "voting.js" not in page.content.decode()


def test_closing_beyond_the_available_funds_books_nothing_and_lists_the_shortfall(setting):
    applications = [eligible_application(setting, amount=D("6000.00")) for _ in range(2)]
    items = in_session(setting, *applications)
    for item in items:
        assert propose(setting, item, "6.000,00").status_code == 302
        vote_all(setting, item, ["yes"] * 4)
    chair = login(setting["chair"])
    confirm = chair.get(url("close_session", setting["round"]))
    assert confirm.context["fields"][0].shortfall == D("2000.00")

    response = chair.post(url("close_session", setting["round"]), {"confirm": "1"})
    assert response.status_code == 200
    assert response.context["shortfalls"] == [(setting["field"], D("2000.00"))]
    content = response.content.decode()
    assert f"2.000,00{NBSP}€" in content
    assert reverse("ledger:reallocate", args=[setting["year"].pk]) in content
    assert not Transfer.objects.filter(kind=TransferKind.COMMITMENT).exists()
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.IN_SESSION
    for application in applications:
        application.refresh_from_db()
        assert application.state == State.SCHEDULED

    # The chair lowers one proposal; now the money suffices.
    assert propose(setting, items[1], "4.000,00").status_code == 302
    assert chair.post(url("close_session", setting["round"]), {"confirm": "1"}).status_code == 302
    assert Transfer.objects.filter(kind=TransferKind.COMMITMENT).count() == 2


def test_closing_without_quorum_is_refused_with_a_message(setting):
    (item,) = in_session(setting, eligible_application(setting))
    vote_all(setting, item, ["yes", "yes"])  # 2 of 4: not more than half
    chair = login(setting["chair"])
    confirm = chair.get(url("close_session", setting["round"]))
    assert confirm.context["rows"][0].outcome.result == "no_quorum"
    response = chair.post(url("close_session", setting["round"]), {"confirm": "1"})
    assert response.status_code == 200
    assert messages_of(response)
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.IN_SESSION


def test_an_application_withdrawn_during_the_session_is_shown_and_not_counted(setting):
    kept, withdrawn = eligible_application(setting), eligible_application(setting)
    items = in_session(setting, kept, withdrawn)
    for item in items:
        assert propose(setting, item, "500,00").status_code == 302
        vote_all(setting, item, ["yes"] * 4)
    process.withdraw_application(
        application=withdrawn, by=withdrawn.created_by, reason="Projekt entfällt"
    )
    chair = login(setting["chair"])
    confirm = chair.get(url("close_session", setting["round"]))
    assert [row.withdrawn for row in confirm.context["rows"]] == [False, True]
    (check,) = confirm.context["fields"]
    assert check.approved == D("500.00")
    assert chair.post(url("close_session", setting["round"]), {"confirm": "1"}).status_code == 302
    withdrawn.refresh_from_db()
    assert withdrawn.state == State.WITHDRAWN
    assert Transfer.objects.filter(kind=TransferKind.COMMITMENT).count() == 1


# --- voting (members) --------------------------------------------------------------------------
def test_a_member_votes_by_form_post_and_changes_the_vote_until_the_session_closes(setting):
    (item,) = in_session(setting, eligible_application(setting))
    member = setting["members"][1]
    client = login(member)
    response = vote(member, item, "yes", client)
    assert response.status_code == 302
    assert response["Location"] == f"{url('vote', setting['round'])}#item-{item.pk}"
    page = client.get(url("vote", setting["round"]))
    assert page.context["rows"][0].my_vote == "yes"
    content = page.content.decode()
    assert 'value="yes" class="kern-btn kern-btn--primary" aria-pressed="true"' in content
    assert 'value="no" class="kern-btn kern-btn--secondary" aria-pressed="false"' in content

    vote(member, item, "no", client)
    assert list(Vote.objects.values_list("member_id", "choice")) == [(member.pk, "no")]

    vote_all(setting, item, ["no", None, "no", "no"])
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    response = vote(member, item, "yes", client)
    assert response.status_code == 302
    assert Vote.objects.get(member=member).choice == "no"
    page = client.get(url("vote", setting["round"]))
    assert b"vote-form" not in page.content


def test_the_voting_page_lists_each_item_with_the_members_own_vote(setting):
    """Phone first: an index at the top jumps to each item and shows the member's vote."""
    first, second = in_session(
        setting, eligible_application(setting), eligible_application(setting)
    )
    member = setting["members"][1]
    client = login(member)
    vote(member, first, "yes", client)
    content = client.get(url("vote", setting["round"])).content.decode()
    with translation.override("de"):
        voted = f"{gettext('your vote:')} {gettext('Yes')}"
        not_voted = gettext("not voted yet")
    index = re.search(r'<nav class="fm-vote-index".*?</nav>', content, re.S).group(0)
    assert f'href="#item-{first.pk}"' in index
    assert f'href="#item-{second.pk}"' in index
    assert re.search(rf'data-my-vote="{first.pk}"[^>]*>{voted}<', index)
    assert re.search(rf'data-my-vote="{second.pk}"[^>]*>{not_voted}<', index)
    # Each item's section is labelled by its heading; the count is a captioned table.
    assert f'aria-labelledby="item-{first.pk}-heading"' in content
    assert f'id="item-{first.pk}-heading"' in content
    assert '<strong data-field="yes">1</strong>' in content


def test_an_invalid_choice_is_refused(setting):
    (item,) = in_session(setting, eligible_application(setting))
    response = login(setting["members"][1]).post(
        url("cast_vote", setting["round"], item),
        {"choice": "maybe"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    assert not Vote.objects.exists()


def test_voting_with_fetch_sends_the_csrf_header_and_gets_the_tally_back(setting):
    (item,) = in_session(setting, eligible_application(setting))
    member = setting["members"][1]
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    page = client.get(url("vote", setting["round"]))
    assert "fund_manager/voting.js" in page.content.decode()
    token = client.cookies["csrftoken"].value
    target = url("cast_vote", setting["round"], item)

    refused = client.post(target, {"choice": "yes"}, headers={"accept": "application/json"})
    assert refused.status_code == 403  # no token: Django's CSRF check
    assert not Vote.objects.exists()

    response = client.post(
        target,
        {"choice": "abstain"},
        headers={"accept": "application/json", "x-csrftoken": token},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["open"] is True
    (entry,) = body["items"]
    assert (entry["yes"], entry["no"], entry["abstain"], entry["my_vote"]) == (0, 0, 1, "abstain")
    assert body["detail"]
    assert Vote.objects.get(member=member).choice == "abstain"


def test_tally_json_counts_votes_and_lists_who_has_not_voted_and_who_is_recused(setting):
    organisation = OrganisationFactory()
    doris = setting["members"][3]
    Membership.objects.create(organisation=organisation, user=doris)
    (item,) = in_session(setting, eligible_application(setting, organisation))
    vote(setting["chair"], item, "yes")
    vote(setting["members"][1], item, "no")

    refused = login(doris).post(
        url("cast_vote", setting["round"], item),
        {"choice": "yes"},
        headers={"accept": "application/json"},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "recused"

    response = login(setting["members"][1]).get(url("tally", setting["round"]))
    assert response.status_code == 200
    assert {"no-store", "private"} <= {v.strip() for v in response["Cache-Control"].split(",")}
    body = response.json()
    assert (body["round"], body["state"], body["open"]) == (
        setting["round"].pk,
        "in_session",
        True,
    )
    (entry,) = body["items"]
    assert (entry["yes"], entry["no"], entry["abstain"]) == (1, 1, 0)
    assert entry["not_voted"] == ["Bernd Brandt"]
    assert [(r["name"], r["reason"]) for r in entry["recused"]] == [
        ("Doris Dorn", Recusal.Reason.MEMBERSHIP)
    ]
    # Doris does not count: 2 of 3 eligible members voted, more than half.
    assert (entry["eligible_voters"], entry["votes_cast"], entry["quorum_needed"]) == (3, 2, 2)
    assert entry["quorum_met"] is True
    assert entry["my_vote"] == "no"
    assert entry["my_recusal"] is None

    mine = login(doris).get(url("tally", setting["round"])).json()["items"][0]
    assert mine["my_recusal"] == str(Recusal.Reason.MEMBERSHIP.label)
    page = login(doris).get(url("vote", setting["round"]))
    assert b"vote-form" not in page.content
    assert str(Recusal.Reason.MEMBERSHIP.label) in page.content.decode()


def test_the_tally_is_the_same_as_the_services_tally(setting):
    from fund_manager.rounds import selectors

    items = in_session(setting, eligible_application(setting), eligible_application(setting))
    vote_all(setting, items[0], ["yes", "no", None, "abstain"])
    services.declare_conflict(item=items[1], by=setting["members"][2])
    for row in selectors.session_rows(setting["round"]):
        assert row.tally == services.tally(row.item)


def test_declaring_a_conflict_asks_first_withdraws_the_vote_and_hides_the_buttons(setting):
    (item,) = in_session(setting, eligible_application(setting))
    member = setting["members"][2]
    client = login(member)
    vote(member, item, "yes", client)
    confirm = client.get(url("conflict", setting["round"], item))
    assert confirm.status_code == 200
    assert not Recusal.objects.exists()
    response = client.post(url("conflict", setting["round"], item))
    assert response.status_code == 302
    recusal = Recusal.objects.get()
    assert (recusal.member, recusal.reason) == (member, Recusal.Reason.DECLARED)
    assert not Vote.objects.exists()
    page = client.get(url("vote", setting["round"]))
    assert b"vote-form" not in page.content
    assert vote(member, item, "no", client).status_code == 302
    assert not Vote.objects.exists()
    tally = login(setting["chair"]).get(url("tally", setting["round"])).json()["items"][0]
    assert "Bernd Brandt" not in tally["not_voted"]
    assert [r["name"] for r in tally["recused"]] == ["Bernd Brandt"]


# --- queries --------------------------------------------------------------------------------------
# Measured: 9 for any number of items (session and user, round, access, items, votes,
# recusals, entitlements, ...); a query per item would show up at once with 10 items.
SESSION_PAGE_QUERIES = 9
# The chair's session page also lists who is present (attendance, the entitled members).
CHAIR_SESSION_PAGE_QUERIES = SESSION_PAGE_QUERIES + 2


@pytest.mark.parametrize("count", [3, 10])
def test_the_session_pages_run_the_same_number_of_queries_for_3_and_10_items(
    setting, count, django_assert_max_num_queries
):
    applications = [eligible_application(setting) for _ in range(count)]
    items = in_session(setting, *applications)
    for item in items:
        services.set_proposal(item=item, amount=D("500.00"), conditions="", by=setting["chair"])
        vote_all(setting, item, ["yes", "no", None, "abstain"])
    chair = login(setting["chair"])
    chair.get(url("session", setting["round"]))  # warm up the session and the user
    with django_assert_max_num_queries(CHAIR_SESSION_PAGE_QUERIES):
        assert chair.get(url("session", setting["round"])).status_code == 200
    with django_assert_max_num_queries(SESSION_PAGE_QUERIES):
        assert chair.get(url("vote", setting["round"])).status_code == 200
    with django_assert_max_num_queries(SESSION_PAGE_QUERIES):
        assert chair.get(url("tally", setting["round"])).status_code == 200
    with django_assert_max_num_queries(SESSION_PAGE_QUERIES):
        assert chair.get(url("close_session", setting["round"])).status_code == 200
    with django_assert_max_num_queries(SESSION_PAGE_QUERIES):
        assert chair.get(url("detail", setting["round"])).status_code == 200


# --- admin ------------------------------------------------------------------------------------
def test_the_admin_shows_rounds_and_votes_read_only(setting, rf):
    request = rf.get("/")
    request.user = user_with_role("finance", is_superuser=True, is_staff=True)
    for model in (FundingRound, AgendaItem, Vote, Recusal, Entitlement):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, None)
        assert not model_admin.has_delete_permission(request, None)
    assert "state" in admin.site._registry[FundingRound].get_readonly_fields(request)


# --- acceptance: a whole session through the pages ------------------------------------------------
def test_a_whole_session_of_ten_items_runs_through_the_pages_only(base):
    chair, anna, bernd, doris = base["members"]
    office = login(base["office"])
    response = office.post(
        reverse("rounds:list"),
        {
            "fiscal_year": base["year"].pk,
            "number": 1,
            "submission_deadline": TODAY.isoformat(),
            "session_date": (TODAY + WEEK).isoformat(),
        },
    )
    funding_round = FundingRound.objects.get()
    assert response["Location"] == url("detail", funding_round)

    doris_org = OrganisationFactory()
    Membership.objects.create(organisation=doris_org, user=doris)
    applications = [
        eligible_application(base, organisation=doris_org if n == 6 else None) for n in range(10)
    ]
    items = agenda_via_pages(base, funding_round, applications)
    assert [item.position for item in items] == list(range(1, 11))
    # The office can still reorder the closed agenda: up and back down again.
    last = items[9]
    office.post(url("move_item", funding_round, last), {"direction": "up"})
    last.refresh_from_db()
    assert last.position == 9
    office.post(url("move_item", funding_round, last), {"direction": "down"})
    last.refresh_from_db()
    assert last.position == 10

    clients = {user.pk: login(user) for user in base["members"]}
    chair_client = clients[chair.pk]
    page = chair_client.get(url("session", funding_round))
    assert page.status_code == 200
    # Planned for next week, the group meets today: the chair reschedules first.
    assert url("open_session", funding_round) not in page.content.decode()
    assert url("reschedule", funding_round) in page.content.decode()
    response = chair_client.post(
        url("reschedule", funding_round),
        {"session_date": TODAY.isoformat(), "reason": "Die Gruppe trifft sich heute."},
    )
    assert response.status_code == 302
    funding_round.refresh_from_db()
    assert funding_round.session_date == TODAY
    present = {"present": [member.pk for member in base["members"]]}
    assert chair_client.post(url("open_session", funding_round), present).status_code == 302
    page = chair_client.get(url("session", funding_round))
    assert page.context["live"]
    assert len(page.context["rows"]) == 10
    assert "fund_manager/voting.js" in page.content.decode()

    for index, item in enumerate(items):
        response = chair_client.post(
            url("proposal", funding_round, item),
            {
                f"item-{item.pk}-amount": "500,00",
                f"item-{item.pk}-conditions": "Verwendungsnachweis" if index % 2 else "",
            },
        )
        assert response.status_code == 302, response.context and messages_of(response)
    assert chair_client.post(url("defer", funding_round, items[9])).status_code == 302
    assert clients[bernd.pk].post(url("conflict", funding_round, items[5])).status_code == 302

    def cast(user, item, choice, fetch=False):
        if fetch:
            response = clients[user.pk].post(
                url("cast_vote", funding_round, item),
                {"choice": choice},
                headers={"accept": "application/json"},
            )
            assert response.status_code == 200, response.content
        else:
            assert vote(user, item, choice, clients[user.pk]).status_code == 302

    for index, item in enumerate(items[:8]):
        for user in (chair, anna, bernd, doris):
            if (item == items[6] and user == doris) or (item == items[5] and user == bernd):
                continue  # recused: Doris by membership, Bernd by declaration
            choice = "yes" if index < 7 else "no"
            cast(user, item, choice, fetch=user == anna)
    cast(anna, items[8], "no", fetch=True)
    cast(bernd, items[8], "no")
    cast(doris, items[8], "yes")
    cast(anna, items[0], "no", fetch=True)  # Anna changes her mind; item 1 is still approved
    cast(anna, items[0], "abstain", fetch=True)

    tally = chair_client.get(url("tally", funding_round)).json()["items"]
    assert [entry["yes"] for entry in tally] == [3, 4, 4, 4, 4, 3, 3, 0, 1, 0]
    assert tally[0]["abstain"] == 1
    assert tally[9]["deferred"] is True
    assert tally[9]["not_voted"] == ["Clara Chair", "Anna Albers", "Bernd Brandt", "Doris Dorn"]
    assert [r["name"] for r in tally[6]["recused"]] == ["Doris Dorn"]
    assert [r["name"] for r in tally[5]["recused"]] == ["Bernd Brandt"]

    confirm = chair_client.get(url("close_session", funding_round))
    results = [row.outcome.result for row in confirm.context["rows"]]
    assert results == ["approved"] * 7 + ["rejected", "rejected", "deferred"]
    response = chair_client.post(url("close_session", funding_round), {"confirm": "1"})
    assert response.status_code == 302, messages_of(response)

    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.DECIDED
    states = []
    for application in applications:
        application.refresh_from_db()
        states.append(application.state)
    assert states == [State.APPROVED] * 7 + [State.REJECTED] * 2 + [State.DEFERRED]
    assert [a.approved_amount for a in applications[:7]] == [D("500.00")] * 7
    assert list(funding_round.items.order_by("position").values_list("state", flat=True)) == (
        [ItemState.APPROVED] * 7 + [ItemState.REJECTED] * 2 + [ItemState.DEFERRED]
    )
    commitments = Transfer.objects.filter(kind=TransferKind.COMMITMENT)
    assert commitments.count() == 7
    assert sum(t.amount for t in commitments) == D("3500.00")
    available = Account.objects.get(kind=AccountKind.AVAILABLE, action_field=base["field"])
    assert available.balance == D("6500.00")
    # The votes are final now.
    cast(anna, items[7], "yes")
    assert Vote.objects.get(item=items[7], member=anna).choice == "no"
