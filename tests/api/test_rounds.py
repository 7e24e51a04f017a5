"""Funding rounds over HTTP: /api/v1/rounds/ and /api/v1/agenda-items/ (docs/api.md, "Rounds and
votes"). Set up as tests/rounds/test_session.py does: a steering group of a chair and three
members, 1000.00 available in the action field ``sprache``.

Every refusal asserts that nothing changed (no transfer booked, no vote, the state as before).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.organisations.models import Membership
from fund_manager.rounds import services
from fund_manager.rounds.models import (
    AgendaItem,
    FundingRound,
    ItemState,
    RoundState,
    Vote,
)
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    provider_user,
)
from tests.workflows.helpers import assessments_for
from workflows import rounds as round_use_cases
from workflows import services as process

pytestmark = pytest.mark.django_db
D = Decimal
ROUNDS = "/api/v1/rounds/"
ITEMS = "/api/v1/agenda-items/"

# The roles of the brief; "provider" applied for the item on the agenda, "other_provider" did not.
ROLES = ["office", "chair", "member", "outsider", "provider", "other_provider", "finance"]
STAFF_ROLES = {"office", "chair", "member", "outsider", "finance"}


# --- setup (``world``: tests/api/conftest.py, built once per module) ----------------------------
def eligible_application(world, organisation=None, amount="600.00"):
    """An application of ``organisation`` (the world's applicant by default), checked eligible
    by the office; it requests ``amount``."""
    organisation = organisation or world.organisation
    provider = provider_user(organisation)
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        fiscal_year=world.year,
        action_field=world.field,
        own_funds=D("0.00"),
        cost_items=[D(amount)],
    )
    process.submit_application(application=application, by=provider)
    task = process.claim_check(task=process.open_task(application), by=world.office)
    return process.complete_check(
        task=task, by=world.office, outcome="eligible", assessments=assessments_for("eligible")
    )


def scheduled(world, *applications):
    """Open the round: opening puts every eligible application that met the deadline on the
    agenda (rounds.services.open_round). Returns the items of ``applications``."""
    services.open_round(funding_round=world.round, by=world.office)
    by_application = {item.application_id: item for item in world.round.items.all()}
    return [by_application[a.pk] for a in applications]


def late(application):
    """Test setup: submitted after the round's deadline, so opening the round does not collect
    the application; only the office's POST .../agenda/ puts it on."""
    Application.objects.filter(pk=application.pk).update(
        submitted_at=timezone.now() + datetime.timedelta(days=1)
    )
    application.refresh_from_db()
    return application


def in_session(world, *applications):
    items = scheduled(world, *applications)
    round_use_cases.close_submissions(funding_round=world.round, by=world.office)
    round_use_cases.open_session(funding_round=world.round, by=world.chair)
    return items


def vote_all(world, item, choices):
    for member, choice in zip(world.members, choices, strict=False):
        services.cast_vote(item=item, choice=choice, by=member)


def propose(world, item, amount):
    services.set_proposal(item=item, amount=D(amount), conditions="", by=world.chair)


@pytest.fixture
def item(world):
    """One item (the world's applicant, 600.00 requested), the session open."""
    (item,) = in_session(world, eligible_application(world))
    return item


def post(api, user, url, data=None, **extra):
    return api(user).post(url, data or {}, format="json", **extra)


def round_url(world, name=""):
    return f"{ROUNDS}{world.round.pk}/" + (f"{name}/" if name else "")


def item_url(item, name=""):
    return f"{ITEMS}{item.pk}/" + (f"{name}/" if name else "")


def state_of(funding_round):
    return FundingRound.objects.get(pk=funding_round.pk).state


def assert_refused(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert "detail" in body
    if code:
        assert body["code"] == code


# --- authentication and unknown ids ------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ROUNDS),
        ("post", ROUNDS),
        ("get", f"{ROUNDS}1/"),
        ("post", f"{ROUNDS}1/open-session/"),
        ("post", f"{ROUNDS}1/close-session/"),
        ("post", f"{ITEMS}1/votes/"),
    ],
)
def test_without_credentials_the_answer_is_401(api, db, method, path):
    response = getattr(api(), method)(path, {}, format="json")

    assert_refused(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    "path",
    [
        f"{ROUNDS}999999/open/",
        f"{ROUNDS}999999/close-submissions/",
        f"{ROUNDS}999999/agenda/",
        f"{ROUNDS}999999/open-session/",
        f"{ROUNDS}999999/close-session/",
        f"{ITEMS}999999/proposal/",
        f"{ITEMS}999999/votes/",
        f"{ITEMS}999999/recusal/",
        f"{ITEMS}999999/defer/",
    ],
)
@pytest.mark.parametrize("role", ["office", "chair", "member"])
def test_unknown_ids_are_404(api, world, role, path):
    response = post(api, getattr(world, role), path, {"choice": "yes", "amount": "1.00"})

    assert_refused(response, 404, "not_found")


@pytest.mark.parametrize("path", [f"{ROUNDS}999999/", f"{ITEMS}999999/"])
def test_unknown_ids_are_404_on_reading(api, world, path):
    assert_refused(api(world.chair).get(path), 404, "not_found")


# --- reading ------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_and_reads_the_rounds(api, world, role):
    client = api(getattr(world, role))

    listing = client.get(ROUNDS)
    detail = client.get(round_url(world))

    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    assert detail.status_code == 200
    assert detail.json() == listing.json()["results"][0]
    assert detail.json() | {"opened_at": None, "closed_at": None} == {
        "id": world.round.pk,
        "fiscal_year": world.year.pk,
        "fund": world.year.fund.code,
        "year": world.year.year,
        "number": 1,
        "submission_deadline": world.round.submission_deadline.isoformat(),
        "session_date": world.round.session_date.isoformat(),
        "state": "planned",
        "opened_at": None,
        "closed_at": None,
        "chaired_by": None,
        "minute_taker": "",
        "minutes_signed_at": None,
        "minutes_signed_by": None,
        "cancelled_at": None,
        "cancellation_reason": "",
        # Who is present: for the staff only (none before the session).
        "attendance": [] if role in STAFF_ROLES else None,
        "agenda": [],
    }


def test_the_list_filters_by_fiscal_year_and_state(api, world):
    client = api(world.office)

    assert client.get(ROUNDS, {"state": "planned"}).json()["count"] == 1
    assert client.get(ROUNDS, {"state": "open"}).json()["count"] == 0
    assert client.get(ROUNDS, {"fiscal_year": world.year.pk}).json()["count"] == 1
    assert client.get(ROUNDS, {"fiscal_year": "x"}).status_code == 400


def test_the_agenda_shows_proposal_counts_and_money_strings(api, world, item):
    propose(world, item, "500.00")
    vote_all(world, item, ["yes", "yes", "no"])

    agenda = api(world.chair).get(round_url(world)).json()["agenda"]

    assert agenda == [
        {
            "id": item.pk,
            "round": world.round.pk,
            "position": 1,
            "application": item.application_id,
            "reference": item.application.reference,
            "title": item.application.title,
            "requested_amount": "600.00",
            "proposed_amount": "500.00",
            "conditions": "",
            "funding_type": "deficit",
            "deferral_requested": False,
            "state": "pending",
            "votes_yes": 2,
            "votes_no": 1,
            "votes_abstain": 0,
            "outcome": None,
            "my_vote": "yes",
            "my_recusal": False,
            "notified_on": None,
            "notified_via": "",
        }
    ]


def test_applicants_see_only_their_own_items_and_the_counts_once_decided(api, world):
    mine = eligible_application(world)
    theirs = eligible_application(world, OrganisationFactory())
    item_mine, item_theirs = in_session(world, mine, theirs)
    vote_all(world, item_mine, ["no"] * 4)
    vote_all(world, item_theirs, ["no"] * 4)

    def agenda(user):
        return api(user).get(round_url(world)).json()["agenda"]

    (seen,) = agenda(world.provider)
    assert seen["id"] == item_mine.pk
    assert (seen["votes_yes"], seen["votes_no"], seen["votes_abstain"]) == (None, None, None)
    assert agenda(world.other_provider) == []
    assert api(world.provider).get(item_url(item_theirs)).status_code == 404
    assert api(world.provider).get(item_url(item_mine)).status_code == 200

    round_use_cases.close_session(funding_round=world.round, by=world.chair)

    (seen,) = agenda(world.provider)
    assert (seen["state"], seen["votes_no"]) == ("rejected", 4)
    assert seen["outcome"]["result"] == "rejected"
    assert seen["outcome"]["quorum_met"] is True


# --- planning: POST /rounds/, open, close-submissions (project office) -------------------------
def test_the_office_plans_a_round(api, world):
    response = post(
        api,
        world.office,
        ROUNDS,
        {
            "fiscal_year": world.year.pk,
            "number": 2,
            "submission_deadline": "2099-05-01",
            "session_date": "2099-05-20",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["state"], body["agenda"]) == (2, "planned", [])
    assert body["submission_deadline"] == "2099-05-01"
    assert FundingRound.objects.get(pk=body["id"]).fiscal_year == world.year


@pytest.mark.parametrize("role", [r for r in ROLES if r != "office"])
def test_only_the_office_plans_rounds(api, world, role):
    response = post(api, getattr(world, role), ROUNDS, {"number": "bad input is not looked at"})

    assert_refused(response, 403, "not_permitted")
    assert FundingRound.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"session_date": "2099-04-01"}, "session_date"),  # before the deadline
        ({"number": 1}, "number"),  # exists in the year
        ({"number": 0}, "number"),
        ({"fiscal_year": 999999}, "fiscal_year"),
        ({"submission_deadline": "01.05.2099"}, "submission_deadline"),
    ],
)
def test_a_bad_round_is_400_with_field_errors(api, world, change, field):
    data = {
        "fiscal_year": world.year.pk,
        "number": 2,
        "submission_deadline": "2099-05-01",
        "session_date": "2099-05-20",
    } | change

    response = post(api, world.office, ROUNDS, data)

    assert response.status_code == 400
    assert field in response.json()
    assert FundingRound.objects.count() == 1


def test_the_office_opens_and_closes_submissions(api, world):
    opened = post(api, world.office, round_url(world, "open"))
    closed = post(api, world.office, round_url(world, "close-submissions"))

    assert (opened.status_code, opened.json()["state"]) == (200, "open")
    assert (closed.status_code, closed.json()["state"]) == (200, "closed")


@pytest.mark.parametrize("action", ["open", "close-submissions"])
@pytest.mark.parametrize("role", [r for r in ROLES if r != "office"])
def test_only_the_office_opens_and_closes_submissions(api, world, role, action):
    if action == "close-submissions":
        services.open_round(funding_round=world.round, by=world.office)
    before = state_of(world.round)

    response = post(api, getattr(world, role), round_url(world, action))

    assert_refused(response, 403, "not_permitted")
    assert state_of(world.round) == before


def test_a_transition_the_state_forbids_is_409(api, world):
    services.open_round(funding_round=world.round, by=world.office)

    assert_refused(post(api, world.office, round_url(world, "open")), 409, "round_error")
    assert state_of(world.round) == RoundState.OPEN


# --- agenda (project office) --------------------------------------------------------------------
def test_the_office_puts_an_eligible_application_on_the_agenda(api, world):
    application = late(eligible_application(world))
    services.open_round(funding_round=world.round, by=world.office)

    response = post(api, world.office, round_url(world, "agenda"), {"application": application.pk})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["application"], body["state"], body["position"]) == (application.pk, "pending", 1)
    assert body["proposed_amount"] is None
    application.refresh_from_db()
    assert application.state == State.SCHEDULED
    assert [i["id"] for i in api(world.office).get(round_url(world)).json()["agenda"]] == [
        body["id"]
    ]


def test_only_eligible_applications_go_on_the_agenda(api, world, submitted):
    services.open_round(funding_round=world.round, by=world.office)

    response = post(api, world.office, round_url(world, "agenda"), {"application": submitted.pk})

    assert_refused(response, 409, "not_eligible")
    assert not AgendaItem.objects.exists()


@pytest.mark.parametrize("value", [999999, None, "x"])
def test_an_unknown_application_is_a_400(api, world, draft, value):
    services.open_round(funding_round=world.round, by=world.office)

    response = post(api, world.office, round_url(world, "agenda"), {"application": value})
    # A draft is not visible to the office: it does not exist for it either.
    hidden = post(api, world.office, round_url(world, "agenda"), {"application": draft.pk})

    assert response.status_code == 400
    assert "application" in response.json()
    assert hidden.status_code == 400
    assert not AgendaItem.objects.exists()


def test_the_agenda_of_a_round_that_is_not_open_is_409(api, world):
    application = late(eligible_application(world))

    response = post(api, world.office, round_url(world, "agenda"), {"application": application.pk})

    assert_refused(response, 409, "round_error")
    assert not AgendaItem.objects.exists()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "office"])
def test_only_the_office_sets_the_agenda(api, world, role):
    application = late(eligible_application(world))
    services.open_round(funding_round=world.round, by=world.office)

    response = post(
        api, getattr(world, role), round_url(world, "agenda"), {"application": application.pk}
    )

    assert_refused(response, 403, "not_permitted")
    assert not AgendaItem.objects.exists()


# --- the session: open-session (chair) ----------------------------------------------------------
def test_the_chair_opens_the_session_and_members_of_the_applicant_are_recused(api, world):
    Membership.objects.create(organisation=world.organisation, user=world.member)
    scheduled(world, eligible_application(world))
    round_use_cases.close_submissions(funding_round=world.round, by=world.office)

    response = post(api, world.chair, round_url(world, "open-session"))

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "in_session"
    assert response.json()["opened_at"]
    (seen,) = api(world.member).get(round_url(world)).json()["agenda"]
    assert seen["my_recusal"] is True


@pytest.mark.parametrize("role", [r for r in ROLES if r != "chair"])
def test_only_the_chair_opens_the_session(api, world, role):
    scheduled(world, eligible_application(world))
    round_use_cases.close_submissions(funding_round=world.round, by=world.office)

    response = post(api, getattr(world, role), round_url(world, "open-session"))

    assert_refused(response, 403, "not_permitted")
    assert state_of(world.round) == RoundState.CLOSED


def test_a_session_cannot_open_before_the_submissions_close(api, world):
    services.open_round(funding_round=world.round, by=world.office)

    assert_refused(post(api, world.chair, round_url(world, "open-session")), 409, "round_error")


# --- proposal (chair) ---------------------------------------------------------------------------
def test_the_chair_proposes_an_amount_with_conditions(api, world, item):
    response = post(
        api, world.chair, item_url(item, "proposal"), {"amount": "500.00", "conditions": "Beleg"}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["proposed_amount"], response.json()["conditions"]) == (
        "500.00",
        "Beleg",
    )
    item.refresh_from_db()
    assert (item.proposed_amount, item.conditions) == (D("500.00"), "Beleg")


@pytest.mark.parametrize("amount", ["600.01", "500", "500,00", 500.0, "0.00", "-1.00", None])
def test_a_proposal_above_the_request_or_malformed_is_400(api, world, item, amount):
    response = post(api, world.chair, item_url(item, "proposal"), {"amount": amount})

    assert response.status_code == 400
    assert "amount" in response.json()
    item.refresh_from_db()
    assert item.proposed_amount is None


def test_the_whole_request_may_be_proposed(api, world, item):
    response = post(api, world.chair, item_url(item, "proposal"), {"amount": "600.00"})

    assert response.json()["proposed_amount"] == "600.00"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office", 403),
        ("member", 403),
        ("outsider", 403),
        ("finance", 403),
        ("provider", 403),  # sees the own item, may not act on it
        ("other_provider", 404),  # does not learn that the item exists
    ],
)
def test_only_the_chair_proposes(api, world, item, role, status):
    response = post(api, getattr(world, role), item_url(item, "proposal"), {"amount": "1.00"})

    assert response.status_code == status
    item.refresh_from_db()
    assert item.proposed_amount is None


def test_no_proposal_outside_the_session(api, world):
    (item,) = scheduled(world, eligible_application(world))

    response = post(api, world.chair, item_url(item, "proposal"), {"amount": "1.00"})

    assert_refused(response, 409, "session_not_open")


# --- votes and recusal (members of the steering group) -----------------------------------------
def test_a_second_vote_replaces_the_first(api, world, item):
    first = post(api, world.member, item_url(item, "votes"), {"choice": "yes"})
    second = post(api, world.member, item_url(item, "votes"), {"choice": "no"})

    assert first.status_code == 200, first.content
    assert (first.json()["votes_yes"], first.json()["my_vote"]) == (1, "yes")
    assert second.status_code == 200
    body = second.json()
    assert (body["votes_yes"], body["votes_no"], body["my_vote"]) == (0, 1, "no")
    assert list(Vote.objects.values_list("member", "choice")) == [(world.member.pk, "no")]


def test_the_chair_votes_too(api, world, item):
    response = post(api, world.chair, item_url(item, "votes"), {"choice": "abstain"})

    assert (response.status_code, response.json()["votes_abstain"]) == (200, 1)


@pytest.mark.parametrize("choice", ["maybe", "", None, "YES"])
def test_an_unknown_choice_is_400(api, world, item, choice):
    response = post(api, world.member, item_url(item, "votes"), {"choice": choice})

    assert response.status_code == 400
    assert "choice" in response.json()
    assert not Vote.objects.exists()


def test_a_member_of_the_applicant_is_recused_and_cannot_vote(api, world):
    Membership.objects.create(organisation=world.organisation, user=world.member)
    (item,) = in_session(world, eligible_application(world))

    response = post(api, world.member, item_url(item, "votes"), {"choice": "yes"})

    assert_refused(response, 409, "recused")
    assert not Vote.objects.exists()


def test_a_declared_conflict_withdraws_the_vote_and_recuses(api, world, item):
    post(api, world.member, item_url(item, "votes"), {"choice": "yes"})

    declared = post(api, world.member, item_url(item, "recusal"))
    again = post(api, world.member, item_url(item, "votes"), {"choice": "yes"})

    assert declared.status_code == 200, declared.content
    assert (declared.json()["my_recusal"], declared.json()["votes_yes"]) == (True, 0)
    assert declared.json()["my_vote"] is None
    assert_refused(again, 409, "recused")
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("outsider", 403),  # a steering member without a seat in this group
        ("office", 403),
        ("finance", 403),
        ("provider", 403),
        ("other_provider", 404),
    ],
)
@pytest.mark.parametrize("action", ["votes", "recusal"])
def test_only_members_of_the_steering_group_vote_or_declare(api, world, item, role, status, action):
    response = post(api, getattr(world, role), item_url(item, action), {"choice": "yes"})

    assert response.status_code == status
    assert not Vote.objects.exists()
    assert not item.recusals.exists()


def test_nobody_votes_after_the_session_closed(api, world, item):
    vote_all(world, item, ["no"] * 3)
    round_use_cases.close_session(funding_round=world.round, by=world.chair)

    response = post(api, world.member, item_url(item, "votes"), {"choice": "yes"})

    assert_refused(response, 409, "session_not_open")
    assert not Vote.objects.filter(member=world.member, choice="yes").exists()


def test_nobody_votes_before_the_session(api, world):
    (item,) = scheduled(world, eligible_application(world))

    response = post(api, world.member, item_url(item, "votes"), {"choice": "yes"})

    assert_refused(response, 409, "session_not_open")


# --- defer (chair) ------------------------------------------------------------------------------
def test_the_chair_defers_an_item(api, world, item):
    response = post(api, world.chair, item_url(item, "defer"))
    closed = post(api, world.chair, round_url(world, "close-session"))

    assert (response.status_code, response.json()["deferral_requested"]) == (200, True)
    assert closed.json()["decisions"][0]["result"] == "deferred"
    item.application.refresh_from_db()
    assert item.application.state == State.DEFERRED


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office", 403),
        ("member", 403),
        ("outsider", 403),
        ("finance", 403),
        ("provider", 403),
        ("other_provider", 404),
    ],
)
def test_only_the_chair_defers(api, world, item, role, status):
    response = post(api, getattr(world, role), item_url(item, "defer"))

    assert response.status_code == status
    item.refresh_from_db()
    assert item.deferral_requested is False


# --- close-session (chair) ----------------------------------------------------------------------
def commitments():
    return Transfer.objects.filter(kind=TransferKind.COMMITMENT).count()


def test_closing_decides_books_the_commitments_and_answers_the_decisions(api, world):
    first = eligible_application(world)
    second = eligible_application(world, OrganisationFactory())
    item_a, item_b = in_session(world, first, second)
    propose(world, item_a, "500.00")
    vote_all(world, item_a, ["yes", "yes", "no", "abstain"])
    vote_all(world, item_b, ["yes", "no", "no", "yes"])  # a tie rejects

    response = post(api, world.chair, round_url(world, "close-session"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["round"] == world.round.pk
    assert body["closed_at"]
    assert body["committed_total"] == "500.00"
    decided_a, decided_b = body["decisions"]
    assert decided_a | {"outcome": None} == {
        "item": item_a.pk,
        "application": first.pk,
        "reference": first.reference,
        "result": "approved",
        "proposed_amount": "500.00",
        "approved_amount": "500.00",
        "conditions": "",
        "outcome": None,
    }
    assert decided_a["outcome"] | {"explanation": ""} == {
        "result": "approved",
        "yes": 2,
        "no": 1,
        "abstain": 1,
        "eligible_voters": 4,
        "recused": 0,
        "votes_cast": 4,
        "quorum_needed": 3,
        "quorum_met": True,
        "explanation": "",
    }
    assert "Ja 2, Nein 1, Enthaltung 1" in decided_a["outcome"]["explanation"]
    assert (decided_b["result"], decided_b["approved_amount"]) == ("rejected", None)
    assert state_of(world.round) == RoundState.DECIDED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.approved_amount) == (State.APPROVED, D("500.00"))
    assert second.state == State.REJECTED
    assert commitments() == 1
    committed = Account.objects.get(kind=AccountKind.COMMITTED, application=first)
    assert committed.balance == D("500.00")
    agenda = api(world.chair).get(round_url(world)).json()["agenda"]
    assert [i["state"] for i in agenda] == [ItemState.APPROVED, ItemState.REJECTED]


def test_closing_again_answers_the_same_decisions_and_books_nothing(api, world, item):
    propose(world, item, "100.00")
    vote_all(world, item, ["yes"] * 4)
    key = {"HTTP_IDEMPOTENCY_KEY": "close-round-1"}
    first = post(api, world.chair, round_url(world, "close-session"), **key)
    transfers = Transfer.objects.count()

    again = post(api, world.chair, round_url(world, "close-session"), **key)
    without_key = post(api, world.chair, round_url(world, "close-session"))

    assert first.status_code == 200, first.content
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert again["Idempotency-Key"] == "close-round-1"
    assert without_key.status_code == 200
    assert without_key.json() == first.json()
    assert Transfer.objects.count() == transfers
    assert commitments() == 1


def test_a_shortfall_is_409_with_the_missing_money_and_books_nothing(api, world):
    applications = [
        eligible_application(world, OrganisationFactory(), amount="600.00") for _ in range(2)
    ]
    items = in_session(world, *applications)
    for item in items:
        propose(world, item, "600.00")
        vote_all(world, item, ["yes"] * 4)
    transfers = Transfer.objects.count()

    response = post(
        api, world.chair, round_url(world, "close-session"), HTTP_IDEMPOTENCY_KEY="close-1"
    )

    assert_refused(response, 409, "insufficient_funds")
    assert response.json()["shortfalls"] == {"sprache": "200.00"}
    assert Transfer.objects.count() == transfers
    assert commitments() == 0
    assert state_of(world.round) == RoundState.IN_SESSION
    for application in applications:
        application.refresh_from_db()
        assert application.state == State.SCHEDULED
    assert set(AgendaItem.objects.values_list("state", flat=True)) == {ItemState.PENDING}


def test_an_approval_without_a_proposal_is_409_and_books_nothing(api, world, item):
    vote_all(world, item, ["yes"] * 4)

    response = post(api, world.chair, round_url(world, "close-session"))

    assert_refused(response, 409, "proposal_missing")
    assert commitments() == 0
    assert state_of(world.round) == RoundState.IN_SESSION


@pytest.mark.parametrize("role", [r for r in ROLES if r != "chair"])
def test_only_the_chair_closes_the_session(api, world, item, role):
    propose(world, item, "100.00")
    vote_all(world, item, ["yes"] * 4)

    response = post(api, getattr(world, role), round_url(world, "close-session"))

    assert_refused(response, 403, "not_permitted")
    assert commitments() == 0
    assert state_of(world.round) == RoundState.IN_SESSION


def test_only_the_chair_repeats_a_close(api, world, item):
    vote_all(world, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=world.round, by=world.chair)

    assert_refused(post(api, world.member, round_url(world, "close-session")), 403)


def test_a_session_that_was_never_opened_cannot_close(api, world):
    scheduled(world, eligible_application(world))

    response = post(api, world.chair, round_url(world, "close-session"))

    assert_refused(response, 409, "session_not_open")
    assert state_of(world.round) == RoundState.OPEN


@pytest.mark.parametrize("key", ["", " ", "x" * 101, "a\tb"])
def test_a_malformed_idempotency_key_is_400(api, world, item, key):
    response = post(api, world.chair, round_url(world, "close-session"), HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "idempotency_key" in response.json()
    assert state_of(world.round) == RoundState.IN_SESSION


@pytest.mark.parametrize("key", ["runde-\N{GRINNING FACE}", "runde 1", "straße"])
def test_defect_14_close_session_refuses_a_key_outside_printable_ascii(api, world, item, key):
    """The same rule and message as the bookings (fund_manager/api/idempotency.py)."""
    response = post(api, world.chair, round_url(world, "close-session"), HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json() == {
        "idempotency_key": [
            "Der Header Idempotency-Key muss aus 1 bis 100 druckbaren ASCII-Zeichen bestehen: "
            "Buchstaben, Ziffern und Satzzeichen, keine Leerzeichen."
        ]
    }
    assert state_of(world.round) == RoundState.IN_SESSION
    assert commitments() == 0


def test_a_missing_quorum_is_409_and_books_nothing(api, world):
    applications = [eligible_application(world, OrganisationFactory()) for _ in range(2)]
    item_a, item_b = in_session(world, *applications)
    propose(world, item_a, "100.00")
    vote_all(world, item_a, ["yes"] * 4)
    vote_all(world, item_b, ["yes", "yes"])  # 2 of 4: more than half are needed

    response = post(api, world.chair, round_url(world, "close-session"))

    assert_refused(response, 409, "quorum_missing")
    assert commitments() == 0
    assert state_of(world.round) == RoundState.IN_SESSION


def test_a_withdrawn_application_does_not_break_the_close(api, world):
    applications = [eligible_application(world, OrganisationFactory()) for _ in range(2)]
    item_a, item_b = in_session(world, *applications)
    propose(world, item_a, "100.00")
    vote_all(world, item_a, ["yes"] * 4)
    vote_all(world, item_b, ["no"] * 4)  # quorate, so the close gets as far as deciding it
    withdrawn = applications[1]
    process.withdraw_application(
        application=withdrawn, by=withdrawn.created_by, reason="Projekt abgesagt"
    )

    response = post(api, world.chair, round_url(world, "close-session"))

    assert response.status_code in (200, 409)
    withdrawn.refresh_from_db()
    assert withdrawn.state == State.WITHDRAWN
    assert not Transfer.objects.filter(application=withdrawn).exists()


# --- schema ------------------------------------------------------------------------------------
def test_the_schema_lists_every_round_endpoint(api, world):
    paths = api().get("/api/schema/", {"format": "json"}).json()["paths"]

    assert {
        "/api/v1/rounds/",
        "/api/v1/rounds/{id}/",
        "/api/v1/rounds/{id}/open/",
        "/api/v1/rounds/{id}/close-submissions/",
        "/api/v1/rounds/{id}/agenda/",
        "/api/v1/rounds/{id}/open-session/",
        "/api/v1/rounds/{id}/close-session/",
        "/api/v1/agenda-items/{id}/",
        "/api/v1/agenda-items/{id}/proposal/",
        "/api/v1/agenda-items/{id}/votes/",
        "/api/v1/agenda-items/{id}/recusal/",
        "/api/v1/agenda-items/{id}/defer/",
    } <= set(paths)
    assert set(paths["/api/v1/rounds/"]) == {"get", "post"}


# --- defects 8 and 11: the proposal's conditions ------------------------------------------------
@pytest.mark.parametrize(
    "conditions",
    [
        pytest.param("Beleg\u0001", id="defect-08-control-character"),
        pytest.param(
            "x" * (AgendaItem._meta.get_field("conditions").max_length + 1), id="defect-11"
        ),
    ],
)
def test_defect_08_11_bad_conditions_are_a_400_and_change_nothing(api, world, item, conditions):
    response = post(
        api, world.chair, item_url(item, "proposal"), {"amount": "500.00", "conditions": conditions}
    )

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["conditions"]
    item.refresh_from_db()
    assert (item.proposed_amount, item.conditions) == (None, "")


def test_defect_08_11_conditions_take_lines_up_to_the_models_maximum(api, world, item):
    limit = AgendaItem._meta.get_field("conditions").max_length
    start = "Auflage 1: Belege.\n\tAuflage 2: Bericht."
    conditions = start + "x" * (limit - len(start))

    response = post(
        api, world.chair, item_url(item, "proposal"), {"amount": "500.00", "conditions": conditions}
    )

    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.conditions == conditions


def test_defect_08_11_the_service_refuses_bad_conditions_too(world, item):
    from fund_manager.core.errors import InvalidInput

    limit = AgendaItem._meta.get_field("conditions").max_length
    for conditions in ("Beleg\u0002", "x" * (limit + 1)):
        with pytest.raises(InvalidInput) as excinfo:
            services.set_proposal(
                item=item, amount=D("500.00"), conditions=conditions, by=world.chair
            )
        assert list(excinfo.value.fields) == ["conditions"]
    item.refresh_from_db()
    assert (item.proposed_amount, item.conditions) == (None, "")
