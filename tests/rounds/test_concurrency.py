"""A session under load (PostgreSQL: real row locks): every member votes at the same moment,
a member clicks twice, the chair clicks "close" twice, a vote arrives while the chair closes.

Each action runs in its own thread and database connection; a barrier releases them together.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from fund_manager.core.errors import ConcurrentChange
from fund_manager.core.models import AuditEntry
from fund_manager.ledger.models import AccountKind
from fund_manager.ledger.verification import verify_year
from fund_manager.rounds import services
from fund_manager.rounds.models import AgendaItem, FundingRound, ItemState, RoundState, Vote
from policies import voting
from tests.concurrency import run_at_once
from tests.rounds.test_services import (
    balance,
    commitments,
    eligible_application,
    in_session,
    vote,
)
from workflows import rounds as round_use_cases

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    # A transactional test may start from a flushed database without the role groups.
    pytest.mark.usefixtures("roles"),
]

D = Decimal


def test_all_members_voting_on_all_items_at_once_lose_no_vote(setting):
    applications = [eligible_application(setting) for _ in range(3)]
    items = in_session(setting, *applications)
    members = setting["members"]
    choices = {
        items[0].pk: ("yes", "yes", "no", "abstain"),  # approved
        items[1].pk: ("no", "no", "yes", "abstain"),  # rejected
        items[2].pk: ("yes", "no", "abstain", "yes"),  # approved
    }
    for item in items:
        services.set_proposal(item=item, amount=D("100.00"), conditions="", by=setting["chair"])

    outcomes = run_at_once(
        *(
            lambda item=item, member=member, choice=choice: services.cast_vote(
                item=item, choice=choice, by=member
            )
            for item in items
            for member, choice in zip(members, choices[item.pk], strict=True)
        )
    )

    assert all(isinstance(outcome, AgendaItem) for outcome in outcomes), outcomes
    assert Vote.objects.count() == len(items) * len(members)
    assert set(Vote.objects.values_list("item_id", "member_id", "choice")) == {
        (item.pk, member.pk, choice)
        for item in items
        for member, choice in zip(members, choices[item.pk], strict=True)
    }
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    results = {}
    for item in items:
        item.refresh_from_db()
        results[item.pk] = (item.state, item.outcome["votes_cast"])
    assert results == {
        items[0].pk: (ItemState.APPROVED, 4),
        items[1].pk: (ItemState.REJECTED, 4),
        items[2].pk: (ItemState.APPROVED, 4),
    }
    assert balance(setting, AccountKind.AVAILABLE) == D("800.00")


def test_a_member_voting_twice_at_once_keeps_one_vote(setting):
    (item,) = in_session(setting, eligible_application(setting))
    for _attempt in ("first vote", "changed vote"):
        for member in setting["members"]:
            outcomes = run_at_once(
                lambda member=member: services.cast_vote(item=item, choice="yes", by=member),
                lambda member=member: services.cast_vote(item=item, choice="no", by=member),
            )
            assert all(isinstance(outcome, AgendaItem) for outcome in outcomes), outcomes
            (choice,) = Vote.objects.filter(item=item, member=member).values_list(
                "choice", flat=True
            )
            assert choice in ("yes", "no")
    assert Vote.objects.count() == len(setting["members"])


def test_two_clicks_on_close_book_the_commitments_once(setting):
    applications = [eligible_application(setting) for _ in range(3)]
    items = in_session(setting, *applications)
    chair = setting["chair"]
    for item, amount in zip(items, ("100.00", "200.00", "300.00"), strict=True):
        services.set_proposal(item=item, amount=D(amount), conditions="", by=chair)
    vote(setting, items[0], ("yes",) * 4)
    vote(setting, items[1], ("yes", "yes", "no", None))
    vote(setting, items[2], ("no", "no", "yes", None))  # rejected

    outcomes = run_at_once(
        lambda: round_use_cases.close_session(funding_round=setting["round"], by=chair),
        lambda: round_use_cases.close_session(funding_round=setting["round"], by=chair),
    )

    closed = [o for o in outcomes if isinstance(o, FundingRound)]
    refused = [o for o in outcomes if isinstance(o, services.RoundError | ConcurrentChange)]
    assert (len(closed), len(refused)) == (1, 1), outcomes
    assert closed[0].state == RoundState.DECIDED
    assert sorted(t.amount for t in commitments()) == [D("100.00"), D("200.00")]
    assert balance(setting, AccountKind.AVAILABLE) == D("700.00")
    assert balance(setting, AccountKind.COMMITTED, application=applications[0]) == D("100.00")
    assert balance(setting, AccountKind.COMMITTED, application=applications[1]) == D("200.00")
    assert AuditEntry.objects.filter(action="round.session_closed").count() == 1
    assert verify_year(setting["year"]) == []


def test_a_vote_while_the_chair_closes_is_refused_cleanly(setting, monkeypatch):
    """The vote arrives after the chair's closing took the round's lock and before it wrote
    the items: it waits, then sees the round decided (409), and the outcome is unchanged."""
    (item,) = in_session(setting, eligible_application(setting))
    chair, late = setting["chair"], setting["members"][3]
    services.set_proposal(item=item, amount=D("100.00"), conditions="", by=chair)
    vote(setting, item, ("yes", "yes", "yes", None))
    closing = threading.Event()
    decide = voting.decide

    def slow_decide(*args, **kwargs):
        closing.set()  # the round is locked by now
        time.sleep(0.5)  # time for the vote to arrive and wait
        return decide(*args, **kwargs)

    monkeypatch.setattr(voting, "decide", slow_decide)

    def late_vote():
        assert closing.wait(timeout=20)
        time.sleep(0.1)
        return services.cast_vote(item=item, choice="no", by=late)

    closed, voted = run_at_once(
        lambda: round_use_cases.close_session(funding_round=setting["round"], by=chair), late_vote
    )

    assert isinstance(closed, FundingRound), closed
    assert isinstance(voted, services.RoundError), voted
    assert voted.code == "session_not_open"
    item.refresh_from_db()
    assert (item.state, item.outcome["yes"], item.outcome["no"]) == (ItemState.APPROVED, 3, 0)
    assert not Vote.objects.filter(member=late).exists()
    assert [t.amount for t in commitments()] == [D("100.00")]
