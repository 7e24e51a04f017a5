"""A round from planning to closing: the happy path and the money check."""

import datetime
from decimal import Decimal

import pytest

from fund_manager.applications.models import State
from fund_manager.core.errors import NotPermitted
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.organisations.models import Membership
from fund_manager.rounds import services
from fund_manager.rounds.models import ItemState, RoundState
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    provider_user,
    user_with_role,
)
from tests.workflows.helpers import assessments_for
from workflows import rounds as round_use_cases
from workflows import services as process

pytestmark = pytest.mark.django_db
D = Decimal


def eligible_application(setting, organisation=None, amounts=None):
    amounts = amounts or (D("600.00"),)
    organisation = organisation or OrganisationFactory()
    provider = provider_user(organisation)
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        fiscal_year=setting["year"],
        action_field=setting["field"],
        own_funds=D("0.00"),
        cost_items=list(amounts),
    )

    process.submit_application(application=application, by=provider)
    task = process.claim_check(task=process.open_task(application), by=setting["office"])
    return process.complete_check(
        task=task, by=setting["office"], outcome="eligible", assessments=assessments_for("eligible")
    )


def in_session(setting, *applications):
    office, funding_round = setting["office"], setting["round"]
    # Opening the round puts every eligible application that met its deadline on the agenda.
    services.open_round(funding_round=funding_round, by=office)
    by_application = {item.application_id: item for item in funding_round.items.all()}
    items = [by_application[a.pk] for a in applications]
    round_use_cases.close_submissions(funding_round=funding_round, by=office)
    round_use_cases.open_session(funding_round=funding_round, by=setting["chair"])
    return items


def vote_all(setting, item, choices):
    for member, choice in zip(setting["members"], choices, strict=False):
        services.cast_vote(item=item, choice=choice, by=member)


def test_a_session_approves_rejects_and_books_the_commitments(setting):
    first, second = eligible_application(setting), eligible_application(setting)
    item_a, item_b = in_session(setting, first, second)
    services.set_proposal(
        item=item_a, amount=D("500.00"), conditions="Nachweis", by=setting["chair"]
    )
    vote_all(setting, item_a, ["yes", "yes", "no", "abstain"])
    vote_all(setting, item_b, ["yes", "no", "no", "yes"])  # tie: rejected

    funding_round = round_use_cases.close_session(
        funding_round=setting["round"], by=setting["chair"]
    )

    assert funding_round.state == RoundState.DECIDED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.approved_amount) == (State.APPROVED, D("500.00"))
    assert second.state == State.REJECTED
    item_a.refresh_from_db()
    assert item_a.state == ItemState.APPROVED
    committed = Account.objects.get(kind=AccountKind.COMMITTED, application=first)
    assert committed.balance == D("500.00")
    assert Transfer.objects.filter(kind=TransferKind.COMMITMENT).count() == 1


def test_approvals_beyond_the_available_funds_book_nothing(setting):
    applications = [eligible_application(setting, amounts=(D("600.00"),)) for _ in range(2)]
    items = in_session(setting, *applications)
    for item in items:
        services.set_proposal(item=item, amount=D("600.00"), conditions="", by=setting["chair"])
        vote_all(setting, item, ["yes"] * 4)
    with pytest.raises(services.FundingShortfall) as refused:
        round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    assert refused.value.shortfalls == {setting["field"].code: D("200.00")}
    assert not Transfer.objects.filter(kind=TransferKind.COMMITMENT).exists()
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.IN_SESSION
    for application in applications:
        application.refresh_from_db()
        assert application.state == State.SCHEDULED


def test_a_member_of_the_applicant_is_recused_and_cannot_vote(setting):
    organisation = OrganisationFactory()
    Membership.objects.create(organisation=organisation, user=setting["members"][1])
    (item,) = in_session(setting, eligible_application(setting, organisation))
    with pytest.raises(services.RoundError) as refused:
        services.cast_vote(item=item, choice="yes", by=setting["members"][1])
    assert refused.value.code == "recused"
    assert not item.votes.exists()


def test_an_outsider_cannot_vote_and_nobody_votes_after_closing(setting):
    (item,) = in_session(setting, eligible_application(setting))
    outsider = user_with_role("steering_member")
    with pytest.raises(NotPermitted):
        services.cast_vote(item=item, choice="yes", by=outsider)
    vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    with pytest.raises(services.RoundError):
        services.cast_vote(item=item, choice="yes", by=setting["members"][1])


def test_closing_twice_books_nothing_twice(setting):
    (item,) = in_session(setting, eligible_application(setting))
    services.set_proposal(item=item, amount=D("100.00"), conditions="", by=setting["chair"])
    vote_all(setting, item, ["yes"] * 4)
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    with pytest.raises(services.RoundError):
        round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    assert Transfer.objects.filter(kind=TransferKind.COMMITMENT).count() == 1


def test_only_the_chair_closes_and_a_deferred_item_returns_later(setting):
    application = eligible_application(setting)
    (item,) = in_session(setting, application)
    with pytest.raises(NotPermitted):
        round_use_cases.close_session(funding_round=setting["round"], by=setting["members"][1])
    services.defer_item(item=item, by=setting["chair"])
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    application.refresh_from_db()
    assert application.state == State.DEFERRED


def test_closing_is_refused_while_an_item_has_no_quorum(setting):
    (item,) = in_session(setting, eligible_application(setting))
    vote_all(setting, item, ["yes", "yes"])  # 2 of 4: not more than half
    with pytest.raises(services.RoundError) as refused:
        round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    assert refused.value.code == "quorum_missing"
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.IN_SESSION


def test_an_application_found_eligible_goes_to_the_next_open_round(setting):
    services.open_round(funding_round=setting["round"], by=setting["office"])
    application = eligible_application(setting)
    assert application.state == State.SCHEDULED
    assert setting["round"].items.get().application == application


def test_the_daily_job_closes_rounds_whose_deadline_passed(setting):
    services.open_round(funding_round=setting["round"], by=setting["office"])
    deadline = setting["round"].submission_deadline
    assert round_use_cases.close_due_rounds(today=deadline) == []
    closed = round_use_cases.close_due_rounds(today=deadline + datetime.timedelta(days=1))
    assert [r.pk for r in closed] == [setting["round"].pk]
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.CLOSED
    assert round_use_cases.close_due_rounds(today=deadline + datetime.timedelta(days=2)) == []
