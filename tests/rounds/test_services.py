"""Round services as a decision table: votes, recusal, quorum, deferral and the money check.

Every action goes through ``rounds.services`` (votes via ``cast_vote``, decisions via
``close_session``); the assertions look at the application, the agenda item, the outcome in
the minutes and the ledger. The module's fixture and helpers are reused by
``test_concurrency``.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from fund_manager.applications.models import State
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services as ledger
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.verification import verify_year
from fund_manager.organisations.models import Membership
from fund_manager.rounds import services
from fund_manager.rounds.models import (
    AgendaItem,
    Entitlement,
    FundingRound,
    ItemState,
    Recusal,
    RoundState,
    SteeringMember,
    Vote,
)
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    OrganisationFactory,
    force_state_with_approval,
    provider_user,
    user_with_role,
)
from tests.workflows.helpers import assessments_for
from workflows import rounds as round_use_cases
from workflows import services as process

pytestmark = pytest.mark.django_db
D = Decimal
AVAILABLE = D("1000.00")


# --- the setting: tests/rounds/conftest.py (``setting``, ``build_setting``) -----------------


def eligible_application(setting, organisation=None, amounts=None, field=None):
    """Submitted by a provider and found eligible by the office (through the workflow)."""

    amounts = amounts or (D("600.00"),)
    organisation = organisation or OrganisationFactory()
    provider = provider_user(organisation)
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        fiscal_year=setting["year"],
        action_field=field or setting["field"],
        own_funds=D("0.00"),
        cost_items=list(amounts),
    )
    process.submit_application(application=application, by=provider)
    task = process.claim_check(task=process.open_task(application), by=setting["office"])
    return process.complete_check(
        task=task, by=setting["office"], outcome="eligible", assessments=assessments_for("eligible")
    )


def on_agenda(setting, *applications, funding_round=None):
    """Open the round if it is planned and make sure each application is on its agenda (opening
    a round may already put waiting eligible applications on it)."""
    funding_round = funding_round or setting["round"]
    funding_round.refresh_from_db()
    if funding_round.state == RoundState.PLANNED:
        services.open_round(funding_round=funding_round, by=setting["office"])
    items = []
    for application in applications:
        item = AgendaItem.objects.filter(round=funding_round, application=application).first()
        if item is None:
            item = services.add_to_agenda(
                funding_round=funding_round, application=application, by=setting["office"]
            )
        items.append(item)
    return items


def in_session(setting, *applications, funding_round=None):
    funding_round = funding_round or setting["round"]
    items = on_agenda(setting, *applications, funding_round=funding_round)
    round_use_cases.close_submissions(funding_round=funding_round, by=setting["office"])
    round_use_cases.open_session(funding_round=funding_round, by=setting["chair"])
    funding_round.refresh_from_db()
    return [AgendaItem.objects.select_related("round").get(pk=item.pk) for item in items]


def on_the_day(day, hour=10):
    """A moment on ``day`` (local time), to travel to a later session's day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def vote(setting, item, choices):
    """``choices[i]`` is member i's vote (the chair is member 0); None means no vote."""
    for member, choice in zip(setting["members"], choices, strict=False):
        if choice is not None:
            services.cast_vote(item=item, choice=choice, by=member)


def balance(setting, kind, *, application=None, field=None):
    account = Account.objects.filter(
        fiscal_year=setting["year"],
        kind=kind,
        action_field=field or setting["field"],
        application=application,
    ).first()
    return account.balance if account else D("0.00")


def commitments():
    return Transfer.objects.filter(kind=TransferKind.COMMITMENT)


def assert_nothing_decided(setting, applications, items):
    """A refused closing: the round is still in session, nothing decided, nothing booked."""
    funding_round = FundingRound.objects.get(pk=setting["round"].pk)
    assert funding_round.state == RoundState.IN_SESSION
    assert funding_round.closed_at is None
    for application in applications:
        application.refresh_from_db()
        assert application.state == State.SCHEDULED
        assert application.approved_amount is None
    for item in items:
        item.refresh_from_db()
        assert (item.state, item.outcome) == (ItemState.PENDING, {})
    assert not commitments().exists()
    assert balance(setting, AccountKind.AVAILABLE) == AVAILABLE
    assert not AuditEntry.objects.filter(action="round.session_closed").exists()


# --- the decision table ----------------------------------------------------------------------
def case(votes, expected, *, members_of_applicant=(), declaring=(), deferred=False, says=""):
    return {
        "votes": votes,
        "members_of_applicant": members_of_applicant,
        "declaring": declaring,
        "deferred": deferred,
        "expected": expected,
        "says": says,
    }


def outcome(result, yes, no, abstain, *, eligible=4, recused=0, needed=3, quorum=True):
    return {
        "result": result,
        "yes": yes,
        "no": no,
        "abstain": abstain,
        "eligible_voters": eligible,
        "recused": recused,
        "votes_cast": yes + no + abstain,
        "quorum_needed": needed,
        "quorum_met": quorum,
    }


APPROVED_, REJECTED_, DEFERRED_ = "approved", "rejected", "deferred"
DECISIONS = [
    pytest.param(
        case(("yes", "yes", "no", "abstain"), outcome(APPROVED_, 2, 1, 1), says="angenommen"),
        id="yes-beats-no",
    ),
    pytest.param(case(("yes",) * 4, outcome(APPROVED_, 4, 0, 0)), id="unanimous-yes"),
    pytest.param(
        case(("yes", "yes", "no", None), outcome(APPROVED_, 2, 1, 0), says="Beschlussfähig"),
        id="quorum-exactly-met-three-of-four",
    ),
    pytest.param(
        case(("yes", "abstain", "abstain", None), outcome(APPROVED_, 1, 0, 2)),
        id="one-yes-and-abstentions",
    ),
    pytest.param(
        case(("yes", "no", "yes", "no"), outcome(REJECTED_, 2, 2, 0), says="Stimmengleichheit"),
        id="tie-rejects",
    ),
    pytest.param(
        case(("yes", "no", "abstain", None), outcome(REJECTED_, 1, 1, 1)),
        id="tie-with-abstention-rejects",
    ),
    pytest.param(case(("no", "no", "yes", None), outcome(REJECTED_, 1, 2, 0)), id="no-beats-yes"),
    pytest.param(
        case(("abstain",) * 4, outcome(REJECTED_, 0, 0, 4), says="keine Ja-Stimme"),
        id="all-abstain-rejects",
    ),
    pytest.param(
        case(
            ("yes", "yes", None, None),
            outcome(APPROVED_, 2, 0, 0, eligible=3, recused=1, needed=2),
            members_of_applicant=(3,),
            says="befangen",
        ),
        id="member-of-applicant-recused-quorum-of-three",
    ),
    pytest.param(
        case(
            (None, "yes", "yes", "no"),
            outcome(APPROVED_, 2, 1, 0, eligible=3, recused=1, needed=2),
            members_of_applicant=(0,),
        ),
        id="chair-recused-members-decide",
    ),
    pytest.param(
        case(
            ("yes", "no", None, None),
            outcome(REJECTED_, 1, 1, 0, eligible=2, recused=2, needed=2),
            members_of_applicant=(2, 3),
        ),
        id="two-recused-tie-rejects",
    ),
    pytest.param(
        case(
            ("yes", "yes", "no", "no"),
            outcome(APPROVED_, 2, 1, 0, eligible=3, recused=1, needed=2),
            declaring=(3,),
        ),
        id="declared-conflict-withdraws-the-earlier-vote",
    ),
    pytest.param(
        case(
            ("no", "no", "yes", "yes"),
            outcome(REJECTED_, 1, 2, 0, eligible=3, recused=1, needed=2),
            declaring=(3,),
        ),
        id="declared-conflict-turns-a-tie-into-a-rejection",
    ),
    pytest.param(
        case(("yes",) * 4, outcome(DEFERRED_, 4, 0, 0), deferred=True, says="Vertagt"),
        id="deferred-despite-yes",
    ),
    pytest.param(
        case((None,) * 4, outcome(DEFERRED_, 0, 0, 0, quorum=False), deferred=True),
        id="deferred-without-votes",
    ),
    pytest.param(
        case(
            (None,) * 4,
            outcome(DEFERRED_, 0, 0, 0, eligible=0, recused=4, needed=1, quorum=False),
            members_of_applicant=(0, 1, 2, 3),
            deferred=True,
        ),
        id="everyone-recused-deferred",
    ),
]


@pytest.mark.parametrize("row", DECISIONS)
def test_decision_table(setting, row):
    organisation = OrganisationFactory()
    for index in row["members_of_applicant"]:
        Membership.objects.create(organisation=organisation, user=setting["members"][index])
    application = eligible_application(setting, organisation)
    (item,) = in_session(setting, application)
    chair = setting["chair"]
    services.set_proposal(item=item, amount=D("500.00"), conditions="Nachweis", by=chair)
    vote(setting, item, row["votes"])
    for index in row["declaring"]:
        services.declare_conflict(item=item, by=setting["members"][index])
    if row["deferred"]:
        services.defer_item(item=item, by=chair)

    funding_round = round_use_cases.close_session(funding_round=setting["round"], by=chair)

    assert funding_round.state == RoundState.DECIDED
    assert funding_round.closed_at is not None
    expected = row["expected"]
    item.refresh_from_db()
    application.refresh_from_db()
    assert {key: item.outcome[key] for key in expected} == expected
    assert row["says"] in item.outcome["explanation"]
    recused = {setting["members"][i].pk for i in (*row["members_of_applicant"], *row["declaring"])}
    assert set(item.recusals.values_list("member_id", flat=True)) == recused
    assert not item.votes.filter(member_id__in=recused).exists()
    states = {
        APPROVED_: (State.APPROVED, ItemState.APPROVED),
        REJECTED_: (State.REJECTED, ItemState.REJECTED),
        DEFERRED_: (State.DEFERRED, ItemState.DEFERRED),
    }
    assert (application.state, item.state) == states[expected["result"]]
    if expected["result"] == APPROVED_:
        assert application.approved_amount == D("500.00")
        (transfer,) = commitments()
        assert (transfer.amount, transfer.application_id) == (D("500.00"), application.pk)
        assert balance(setting, AccountKind.COMMITTED, application=application) == D("500.00")
        assert balance(setting, AccountKind.AVAILABLE) == D("500.00")
    else:
        assert application.approved_amount is None
        assert not commitments().exists()
        assert balance(setting, AccountKind.AVAILABLE) == AVAILABLE
    assert verify_year(setting["year"]) == []


# --- quorum: docs/api.md "it answers 409 and books nothing when quorum is missing" ---------
NO_QUORUM = [
    pytest.param(case((None,) * 4, {}), id="nobody-voted"),
    pytest.param(case(("yes", "yes", None, None), {}), id="two-of-four-yes"),
    pytest.param(case(("abstain", "no", None, None), {}), id="two-of-four"),
    pytest.param(
        case(("yes", None, None, None), {}, members_of_applicant=(3,)),
        id="one-of-three-after-recusal",
    ),
    pytest.param(case(("yes", "yes", "no", None), {}, declaring=(1, 2)), id="declared-conflicts"),
    pytest.param(case((None,) * 4, {}, members_of_applicant=(0, 1, 2, 3)), id="everyone-recused"),
]


@pytest.mark.parametrize("row", NO_QUORUM)
def test_closing_without_quorum_answers_409_and_books_nothing(setting, row):
    organisation = OrganisationFactory()
    for index in row["members_of_applicant"]:
        Membership.objects.create(organisation=organisation, user=setting["members"][index])
    decided = eligible_application(setting)
    unquorate = eligible_application(setting, organisation)
    items = in_session(setting, decided, unquorate)
    chair = setting["chair"]
    for item in items:
        services.set_proposal(item=item, amount=D("500.00"), conditions="", by=chair)
    vote(setting, items[0], ("yes",) * 4)
    vote(setting, items[1], row["votes"])
    for index in row["declaring"]:
        services.declare_conflict(item=items[1], by=setting["members"][index])

    with pytest.raises(services.RoundError) as refused:
        round_use_cases.close_session(funding_round=setting["round"], by=chair)

    assert (refused.value.code, refused.value.status_code) == ("quorum_missing", 409)
    assert_nothing_decided(setting, [decided, unquorate], items)


def test_deferring_the_item_without_quorum_lets_the_session_close(setting):
    decided, unquorate = eligible_application(setting), eligible_application(setting)
    items = in_session(setting, decided, unquorate)
    chair = setting["chair"]
    services.set_proposal(item=items[0], amount=D("500.00"), conditions="", by=chair)
    vote(setting, items[0], ("yes",) * 4)
    vote(setting, items[1], ("yes", None, None, None))
    with pytest.raises(services.RoundError):
        round_use_cases.close_session(funding_round=setting["round"], by=chair)
    services.defer_item(item=items[1], by=chair)

    round_use_cases.close_session(funding_round=setting["round"], by=chair)

    decided.refresh_from_db()
    unquorate.refresh_from_db()
    assert (decided.state, unquorate.state) == (State.APPROVED, State.DEFERRED)
    assert [t.amount for t in commitments()] == [D("500.00")]


# --- money: exactly what is available, and one cent more ------------------------------------------
@pytest.mark.parametrize(
    ("proposals", "shortfall"),
    [
        pytest.param(("1000.00",), None, id="one-item-exactly-available"),
        pytest.param(("600.00", "400.00"), None, id="two-items-exactly-available"),
        pytest.param(("999.99",), None, id="one-cent-left"),
        pytest.param(("1000.01",), "0.01", id="one-item-one-cent-over"),
        pytest.param(("600.00", "400.01"), "0.01", id="two-items-one-cent-over"),
    ],
)
def test_approvals_at_the_available_limit(setting, proposals, shortfall):
    applications = [eligible_application(setting, amounts=(D("1000.01"),)) for _ in proposals]
    items = in_session(setting, *applications)
    chair = setting["chair"]
    for item, amount in zip(items, proposals, strict=True):
        services.set_proposal(item=item, amount=D(amount), conditions="", by=chair)
        vote(setting, item, ("yes",) * 4)

    if shortfall:
        with pytest.raises(services.FundingShortfall) as refused:
            round_use_cases.close_session(funding_round=setting["round"], by=chair)
        assert refused.value.shortfalls == {setting["field"].code: D(shortfall)}
        assert (refused.value.code, refused.value.status_code) == ("insufficient_funds", 409)
        assert_nothing_decided(setting, applications, items)
        return

    round_use_cases.close_session(funding_round=setting["round"], by=chair)
    total = sum((D(amount) for amount in proposals), D("0.00"))
    assert balance(setting, AccountKind.AVAILABLE) == AVAILABLE - total
    for application, amount in zip(applications, proposals, strict=True):
        application.refresh_from_db()
        assert (application.state, application.approved_amount) == (State.APPROVED, D(amount))
        assert balance(setting, AccountKind.COMMITTED, application=application) == D(amount)
    assert sorted(t.amount for t in commitments()) == sorted(D(a) for a in proposals)
    assert verify_year(setting["year"]) == []


def test_one_cent_less_after_a_shortfall_closes_with_nothing_left(setting):
    application = eligible_application(setting, amounts=(D("1000.01"),))
    (item,) = in_session(setting, application)
    chair = setting["chair"]
    services.set_proposal(item=item, amount=D("1000.01"), conditions="", by=chair)
    vote(setting, item, ("yes",) * 4)
    with pytest.raises(services.FundingShortfall):
        round_use_cases.close_session(funding_round=setting["round"], by=chair)

    services.set_proposal(item=item, amount=D("1000.00"), conditions="", by=chair)
    round_use_cases.close_session(funding_round=setting["round"], by=chair)

    assert balance(setting, AccountKind.AVAILABLE) == D("0.00")
    assert balance(setting, AccountKind.COMMITTED, application=application) == D("1000.00")


def test_a_shortfall_in_one_action_field_refuses_the_whole_session(setting):
    other = ActionFieldFactory(fund=setting["year"].fund)
    ledger.allocate(
        fiscal_year=setting["year"],
        action_field=other,
        amount=D("300.00"),
        by=setting["finance"],
        idempotency_key="b",
    )
    exact = eligible_application(setting, amounts=(D("1000.00"),))
    over = eligible_application(setting, amounts=(D("300.01"),), field=other)
    items = in_session(setting, exact, over)
    chair = setting["chair"]
    for item, amount in zip(items, ("1000.00", "300.01"), strict=True):
        services.set_proposal(item=item, amount=D(amount), conditions="", by=chair)
        vote(setting, item, ("yes",) * 4)

    with pytest.raises(services.FundingShortfall) as refused:
        round_use_cases.close_session(funding_round=setting["round"], by=chair)

    assert refused.value.shortfalls == {other.code: D("0.01")}
    assert_nothing_decided(setting, [exact, over], items)
    assert balance(setting, AccountKind.AVAILABLE, field=other) == D("300.00")


def test_ledger_balances_are_exact_after_closing(setting):
    applications = [eligible_application(setting, amounts=(D("400.00"),)) for _ in range(3)]
    items = in_session(setting, *applications)
    chair = setting["chair"]
    for item, amount in zip(items, ("123.45", "333.33", "400.00"), strict=True):
        services.set_proposal(item=item, amount=D(amount), conditions="", by=chair)
    vote(setting, items[0], ("yes", "yes", "no", "abstain"))
    vote(setting, items[1], ("yes", "yes", "yes", "no"))
    vote(setting, items[2], ("no", "no", "yes", "abstain"))  # rejected: nothing booked

    round_use_cases.close_session(funding_round=setting["round"], by=chair)

    assert balance(setting, AccountKind.AVAILABLE) == D("543.22")
    assert balance(setting, AccountKind.COMMITTED, application=applications[0]) == D("123.45")
    assert balance(setting, AccountKind.COMMITTED, application=applications[1]) == D("333.33")
    assert balance(setting, AccountKind.COMMITTED, application=applications[2]) == D("0.00")
    assert sorted(t.amount for t in commitments()) == [D("123.45"), D("333.33")]
    assert verify_year(setting["year"]) == []
    entry = AuditEntry.objects.get(action="round.session_closed")
    assert entry.data == {"approved": 2, "total": "456.78"}


# --- planning ----------------------------------------------------------------------------------
def _days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def _round_1_session_in_a_week(setting):
    """The planning tables below place round 2 around round 1's session a week from today."""
    services.reschedule_session(
        funding_round=setting["round"],
        session_date=_days(7),
        reason="Sitzung in einer Woche.",
        by=setting["office"],
    )


@pytest.mark.parametrize(
    ("number", "deadline", "session", "field"),
    [
        pytest.param(2, 3, 14, "submission_deadline", id="deadline-before-round-1-session"),
        pytest.param(2, 7, 14, "submission_deadline", id="deadline-on-round-1-session-day"),
        pytest.param(2, -20, -10, "submission_deadline", id="round-2-before-round-1"),
        pytest.param(0, 20, 27, "submission_deadline", id="round-0-after-round-1"),
        pytest.param(2, 20, 19, "session_date", id="session-before-deadline"),
        pytest.param(1, 20, 27, "number", id="duplicate-number"),
    ],
)
def test_plan_round_refusals_change_nothing(setting, number, deadline, session, field):
    _round_1_session_in_a_week(setting)
    rounds, entries = FundingRound.objects.count(), AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.plan_round(
            fiscal_year=setting["year"],
            number=number,
            submission_deadline=_days(deadline),
            session_date=_days(session),
            by=setting["office"],
        )
    assert field in refused.value.fields
    assert (FundingRound.objects.count(), AuditEntry.objects.count()) == (rounds, entries)


@pytest.mark.parametrize(("deadline", "session"), [(8, 14), (8, 8)])
def test_plan_round_accepts_the_next_round_after_the_session(setting, deadline, session):
    _round_1_session_in_a_week(setting)
    funding_round = services.plan_round(
        fiscal_year=setting["year"],
        number=2,
        submission_deadline=_days(deadline),
        session_date=_days(session),
        by=setting["office"],
    )
    assert (funding_round.number, funding_round.state) == (2, RoundState.PLANNED)


@pytest.mark.parametrize("role", ["chair", "steering_member", "finance", "provider"])
def test_only_the_office_plans_rounds(setting, role):
    with pytest.raises(NotPermitted):
        services.plan_round(
            fiscal_year=setting["year"],
            number=2,
            submission_deadline=_days(8),
            session_date=_days(14),
            by=user_with_role(role),
        )
    assert FundingRound.objects.count() == 1


# --- the agenda --------------------------------------------------------------------------------
def _application(setting, state, fiscal_year=None):
    application = ApplicationFactory(
        fiscal_year=fiscal_year or setting["year"], action_field=setting["field"]
    )
    return force_state_with_approval(application, state)


def _assert_not_on_agenda(application, state):
    application.refresh_from_db()
    assert application.state == state
    assert not AgendaItem.objects.filter(application=application).exists()
    assert (
        not AuditEntry.objects.for_object(application)
        .filter(action="application.scheduled")
        .exists()
    )


@pytest.mark.parametrize(
    "state",
    [
        State.DRAFT,
        State.SUBMITTED,
        State.IN_REVIEW,
        State.CHANGES_REQUESTED,
        State.INELIGIBLE,
        State.APPROVED,
        State.REJECTED,
        State.WITHDRAWN,
        State.IN_PAYMENT,
        State.CLOSED,
    ],
)
def test_add_to_agenda_refuses_applications_that_are_not_eligible(setting, state):
    on_agenda(setting)
    application = _application(setting, state)
    with pytest.raises(services.RoundError) as refused:
        services.add_to_agenda(
            funding_round=setting["round"], application=application, by=setting["office"]
        )
    assert refused.value.code == "not_eligible"
    _assert_not_on_agenda(application, state)


def test_add_to_agenda_refuses_an_application_already_scheduled(setting):
    application = eligible_application(setting)
    on_agenda(setting, application)
    with pytest.raises(services.RoundError) as refused:
        services.add_to_agenda(
            funding_round=setting["round"], application=application, by=setting["office"]
        )
    assert refused.value.code == "not_eligible"
    assert AgendaItem.objects.filter(application=application).count() == 1


def _bring_round_to(setting, state):
    funding_round, office, chair = setting["round"], setting["office"], setting["chair"]
    steps = [
        (RoundState.OPEN, lambda: services.open_round(funding_round=funding_round, by=office)),
        (
            RoundState.CLOSED,
            lambda: round_use_cases.close_submissions(funding_round=funding_round, by=office),
        ),
        (
            RoundState.IN_SESSION,
            lambda: round_use_cases.open_session(funding_round=funding_round, by=chair),
        ),
        (
            RoundState.DECIDED,
            lambda: round_use_cases.close_session(funding_round=funding_round, by=chair),
        ),
    ]
    for target, step in steps:
        if funding_round.state == state:
            break
        step()
        funding_round.refresh_from_db()
        assert funding_round.state == target
    assert funding_round.state == state


@pytest.mark.parametrize(
    "round_state",
    [RoundState.PLANNED, RoundState.CLOSED, RoundState.IN_SESSION, RoundState.DECIDED],
)
def test_add_to_agenda_refuses_a_round_that_is_not_open(setting, round_state):
    _bring_round_to(setting, round_state)
    application = _application(setting, State.ELIGIBLE)
    with pytest.raises(services.RoundError):
        services.add_to_agenda(
            funding_round=setting["round"], application=application, by=setting["office"]
        )
    _assert_not_on_agenda(application, State.ELIGIBLE)


def test_add_to_agenda_refuses_an_application_of_another_fiscal_year(setting):
    on_agenda(setting)
    next_year = FiscalYearFactory(fund=setting["year"].fund, year=setting["year"].year + 1)
    application = _application(setting, State.ELIGIBLE, fiscal_year=next_year)
    with pytest.raises(services.RoundError):
        services.add_to_agenda(
            funding_round=setting["round"], application=application, by=setting["office"]
        )
    _assert_not_on_agenda(application, State.ELIGIBLE)
    assert FiscalYear.objects.filter(pk=next_year.pk).exists()


@pytest.mark.parametrize("role", ["chair", "steering_member", "finance"])
def test_only_the_office_puts_applications_on_the_agenda(setting, role):
    on_agenda(setting)
    application = _application(setting, State.ELIGIBLE)
    with pytest.raises(NotPermitted):
        services.add_to_agenda(
            funding_round=setting["round"], application=application, by=user_with_role(role)
        )
    _assert_not_on_agenda(application, State.ELIGIBLE)


# --- the chair's proposal ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount",
    [
        pytest.param(D("600.01"), id="one-cent-more-than-requested"),
        pytest.param(D("0.00"), id="zero"),
        pytest.param(D("-1.00"), id="negative"),
        pytest.param(D("100.005"), id="three-decimals"),
        pytest.param(D("0.001"), id="a-tenth-of-a-cent"),
        pytest.param(100.0, id="float"),
        pytest.param("100.00", id="string"),
        pytest.param(D("-Infinity"), id="minus-infinity"),
    ],
)
def test_set_proposal_refuses_bad_amounts(setting, amount):
    (item,) = in_session(setting, eligible_application(setting))
    with pytest.raises(InvalidInput) as refused:
        services.set_proposal(item=item, amount=amount, conditions="", by=setting["chair"])
    assert "amount" in refused.value.fields
    item.refresh_from_db()
    assert item.proposed_amount is None


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity"])
def test_set_proposal_refuses_numbers_that_are_not_amounts(setting, amount):
    (item,) = in_session(setting, eligible_application(setting))
    with pytest.raises(InvalidInput):
        services.set_proposal(item=item, amount=D(amount), conditions="", by=setting["chair"])


def test_set_proposal_accepts_the_requested_amount_and_replaces_the_earlier_one(setting):
    (item,) = in_session(setting, eligible_application(setting))
    chair = setting["chair"]
    services.set_proposal(item=item, amount=D("0.01"), conditions="a", by=chair)
    services.set_proposal(item=item, amount=D("600.00"), conditions="b", by=chair)
    item.refresh_from_db()
    assert (item.proposed_amount, item.conditions) == (D("600.00"), "b")


@pytest.mark.parametrize("who", ["member", "office", "other_chair", "finance"])
def test_only_the_chair_of_the_group_sets_the_proposal(setting, who):
    (item,) = in_session(setting, eligible_application(setting))
    by = {
        "member": setting["members"][1],
        "office": setting["office"],
        "other_chair": user_with_role("chair"),
        "finance": setting["finance"],
    }[who]
    with pytest.raises(NotPermitted):
        services.set_proposal(item=item, amount=D("100.00"), conditions="", by=by)
    item.refresh_from_db()
    assert item.proposed_amount is None


def test_set_proposal_needs_an_open_session(setting):
    (item,) = on_agenda(setting, eligible_application(setting))
    with pytest.raises(services.RoundError) as refused:
        services.set_proposal(item=item, amount=D("100.00"), conditions="", by=setting["chair"])
    assert refused.value.code == "session_not_open"


# --- who may vote: frozen when the session opens -------------------------------------------------
def _seat(setting, **kwargs):
    user = user_with_role("steering_member")
    kwargs.setdefault("since", setting["since"])
    SteeringMember.objects.create(group=setting["group"], user=user, **kwargs)
    return user


def test_open_session_freezes_who_is_entitled(setting):
    application = eligible_application(setting)
    day = setting["round"].session_date
    left_before = _seat(setting, until=day - datetime.timedelta(days=1))
    last_day = _seat(setting, until=day)
    starts_later = _seat(setting, since=day + datetime.timedelta(days=1))
    no_vote = _seat(setting, votes=False)
    (item,) = in_session(setting, application)
    added_later = _seat(setting)

    entitled = set(Entitlement.objects.filter(round=setting["round"]).values_list("user_id"))
    assert entitled == {(user.pk,) for user in [*setting["members"], last_day]}
    for outsider in (left_before, starts_later, no_vote, added_later):
        with pytest.raises(NotPermitted):
            services.cast_vote(item=item, choice="yes", by=outsider)
    assert not item.votes.exists()

    services.set_proposal(item=item, amount=D("100.00"), conditions="", by=setting["chair"])
    vote(setting, item, ("yes", "yes", None, None))
    services.cast_vote(item=item, choice="yes", by=last_day)
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    item.refresh_from_db()
    assert (item.outcome["eligible_voters"], item.outcome["quorum_needed"]) == (5, 3)
    assert item.state == ItemState.APPROVED


def test_a_seat_ended_after_the_session_opened_still_votes(setting):
    (item,) = in_session(setting, eligible_application(setting))
    SteeringMember.objects.filter(user=setting["members"][3]).update(
        until=setting["round"].session_date - datetime.timedelta(days=30)
    )
    services.cast_vote(item=item, choice="no", by=setting["members"][3])
    assert item.votes.get().choice == "no"


def test_a_member_reseated_on_the_session_day_is_entitled_once(setting):
    application = eligible_application(setting)
    day = setting["round"].session_date
    member = setting["members"][1]
    SteeringMember.objects.filter(user=member).update(until=day)
    SteeringMember.objects.create(group=setting["group"], user=member, since=day, is_deputy=True)
    in_session(setting, application)
    assert Entitlement.objects.filter(round=setting["round"], user=member).count() == 1


@pytest.mark.parametrize("who", ["provider", "finance", "office", "non_member", "other_chair"])
def test_people_outside_the_session_cannot_vote(setting, who):
    organisation = OrganisationFactory()
    application = eligible_application(setting, organisation)
    (item,) = in_session(setting, application)
    by = {
        "provider": application.created_by,
        "finance": setting["finance"],
        "office": setting["office"],
        "non_member": user_with_role("steering_member"),
        "other_chair": user_with_role("chair"),
    }[who]
    with pytest.raises(NotPermitted) as refused:
        services.cast_vote(item=item, choice="yes", by=by)
    assert refused.value.status_code == 403
    with pytest.raises(NotPermitted):
        services.declare_conflict(item=item, by=by)
    assert not item.votes.exists()
    assert not item.recusals.exists()


def test_a_recused_member_cannot_vote(setting):
    organisation = OrganisationFactory()
    member = setting["members"][2]
    Membership.objects.create(organisation=organisation, user=member)
    other = eligible_application(setting)
    own = eligible_application(setting, organisation)
    other_item, own_item = in_session(setting, other, own)

    assert own_item.recusals.get().reason == Recusal.Reason.MEMBERSHIP
    assert own_item.recusals.get().member == member
    assert not other_item.recusals.exists()
    with pytest.raises(services.RoundError) as refused:
        services.cast_vote(item=own_item, choice="yes", by=member)
    assert (refused.value.code, refused.value.status_code) == ("recused", 409)
    assert not own_item.votes.exists()
    services.cast_vote(item=other_item, choice="yes", by=member)  # only the own item
    assert other_item.votes.get().member == member


def test_a_declared_conflict_removes_the_vote_and_blocks_a_new_one(setting):
    (item,) = in_session(setting, eligible_application(setting))
    member = setting["members"][1]
    services.cast_vote(item=item, choice="yes", by=member)
    services.declare_conflict(item=item, by=member)
    services.declare_conflict(item=item, by=member)  # twice: still one recusal
    assert not item.votes.exists()
    assert item.recusals.get().reason == Recusal.Reason.DECLARED
    with pytest.raises(services.RoundError) as refused:
        services.cast_vote(item=item, choice="no", by=member)
    assert refused.value.code == "recused"
    assert not item.votes.exists()


def test_a_later_vote_replaces_the_earlier_one(setting):
    (item,) = in_session(setting, eligible_application(setting))
    member = setting["members"][1]
    for choice in ("yes", "no", "abstain", "no"):
        services.cast_vote(item=item, choice=choice, by=member)
    assert list(item.votes.values_list("member_id", "choice")) == [(member.pk, "no")]


@pytest.mark.parametrize("choice", ["", "Yes", "maybe", None])
def test_an_unknown_choice_is_refused(setting, choice):
    (item,) = in_session(setting, eligible_application(setting))
    with pytest.raises(InvalidInput):
        services.cast_vote(item=item, choice=choice, by=setting["members"][1])
    assert not Vote.objects.exists()


def test_nobody_votes_before_the_session(setting):
    (item,) = on_agenda(setting, eligible_application(setting))
    round_use_cases.close_submissions(funding_round=setting["round"], by=setting["office"])
    with pytest.raises(services.RoundError) as refused:
        services.cast_vote(item=item, choice="yes", by=setting["members"][1])
    assert refused.value.code == "session_not_open"
    assert not Vote.objects.exists()


# --- after closing -------------------------------------------------------------------------------
def test_nobody_acts_on_the_items_after_closing(setting):
    application = eligible_application(setting)
    (item,) = in_session(setting, application)
    chair = setting["chair"]
    services.set_proposal(item=item, amount=D("100.00"), conditions="", by=chair)
    vote(setting, item, ("yes", "yes", "no", None))
    round_use_cases.close_session(funding_round=setting["round"], by=chair)
    item.refresh_from_db()
    before = (item.state, item.outcome, item.proposed_amount, item.deferral_requested)

    actions = [
        lambda: services.cast_vote(item=item, choice="no", by=setting["members"][1]),
        lambda: services.cast_vote(item=item, choice="yes", by=setting["members"][3]),
        lambda: services.declare_conflict(item=item, by=setting["members"][2]),
        lambda: services.set_proposal(item=item, amount=D("50.00"), conditions="", by=chair),
        lambda: services.defer_item(item=item, by=chair),
    ]
    for action in actions:
        with pytest.raises(services.RoundError) as refused:
            action()
        assert (refused.value.code, refused.value.status_code) == ("session_not_open", 409)

    item.refresh_from_db()
    assert (item.state, item.outcome, item.proposed_amount, item.deferral_requested) == before
    assert sorted(item.votes.values_list("choice", flat=True)) == ["no", "yes", "yes"]
    assert not item.recusals.exists()


def test_closing_twice_books_nothing_twice(setting):
    (item,) = in_session(setting, eligible_application(setting))
    chair = setting["chair"]
    services.set_proposal(item=item, amount=D("100.00"), conditions="", by=chair)
    vote(setting, item, ("yes",) * 4)
    round_use_cases.close_session(funding_round=setting["round"], by=chair)
    item.refresh_from_db()
    outcome_then = item.outcome

    with pytest.raises(services.RoundError) as refused:
        round_use_cases.close_session(funding_round=setting["round"], by=chair)

    assert refused.value.code == "session_not_open"
    assert commitments().count() == 1
    assert balance(setting, AccountKind.AVAILABLE) == D("900.00")
    assert AuditEntry.objects.filter(action="round.session_closed").count() == 1
    item.refresh_from_db()
    assert item.outcome == outcome_then
    assert verify_year(setting["year"]) == []


@pytest.mark.parametrize("who", ["member", "office", "other_chair", "finance"])
def test_only_the_chair_of_the_group_opens_and_closes_the_session(setting, who):
    application = eligible_application(setting)
    on_agenda(setting, application)
    round_use_cases.close_submissions(funding_round=setting["round"], by=setting["office"])
    by = {
        "member": setting["members"][1],
        "office": setting["office"],
        "other_chair": user_with_role("chair"),
        "finance": setting["finance"],
    }[who]
    with pytest.raises(NotPermitted):
        round_use_cases.open_session(funding_round=setting["round"], by=by)
    assert not Entitlement.objects.exists()
    round_use_cases.open_session(funding_round=setting["round"], by=setting["chair"])
    with pytest.raises(NotPermitted):
        round_use_cases.close_session(funding_round=setting["round"], by=by)
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.IN_SESSION


def test_a_deferred_application_is_decided_in_the_next_round(setting):
    application = eligible_application(setting)
    (item,) = in_session(setting, application)
    chair = setting["chair"]
    services.defer_item(item=item, by=chair)
    round_use_cases.close_session(funding_round=setting["round"], by=chair)
    application.refresh_from_db()
    assert application.state == State.DEFERRED

    second = services.plan_round(
        fiscal_year=setting["year"],
        number=2,
        submission_deadline=_days(8),
        session_date=_days(14),
        by=setting["office"],
    )
    # Round 2 meets on its day, two weeks from now.
    with time_machine.travel(on_the_day(_days(14)), tick=False):
        (again,) = in_session(setting, application, funding_round=second)
        services.set_proposal(item=again, amount=D("250.00"), conditions="", by=chair)
        vote(setting, again, ("yes",) * 4)
        round_use_cases.close_session(funding_round=second, by=chair)

    application.refresh_from_db()
    item.refresh_from_db()
    assert (application.state, application.approved_amount) == (State.APPROVED, D("250.00"))
    assert item.state == ItemState.DEFERRED
    assert [t.amount for t in commitments()] == [D("250.00")]
    assert balance(setting, AccountKind.AVAILABLE) == D("750.00")
