"""Two people act on the same application at the same moment (PostgreSQL: real row locks)."""

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from fund_manager.applications import services
from fund_manager.applications.models import Application, State
from fund_manager.applications.services import ApplicationError
from fund_manager.core.errors import ConcurrentChange
from fund_manager.core.models import AuditEntry
from fund_manager.reporting import journal
from fund_manager.reporting.models import StatisticsEntry
from tests.concurrency import run_at_once
from tests.factories import (
    ApplicationFactory,
    FiscalYearFactory,
    FundFactory,
    OrganisationFactory,
    force_state,
    provider_user,
    user_with_role,
)
from workflows import services as use_cases

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def submit(application, by):
    return lambda: use_cases.submit_application(application=application, by=by)


def withdraw(application, by):
    return lambda: use_cases.withdraw_application(application=application, by=by)


def mark_eligible(application, by):
    return lambda: services.mark_eligible(application=application, by=by)


def request_changes(application, by):
    return lambda: services.request_changes(application=application, by=by, note="Bitte ändern.")


# (state to start from, the two actions, the audit codes either winner may write)
RACES = {
    "submit-submit": (State.DRAFT, (submit, submit), {"application.submitted"}),
    "withdraw-withdraw": (State.SUBMITTED, (withdraw, withdraw), {"application.withdrawn"}),
    "eligible-or-changes": (
        State.IN_REVIEW,
        (mark_eligible, request_changes),
        {"application.marked_eligible", "application.changes_requested"},
    ),
}


@pytest.mark.parametrize("race", list(RACES))
@pytest.mark.parametrize("attempt", range(3))
def test_exactly_one_of_two_simultaneous_transitions_wins(race, attempt):
    state, (first, second), codes = RACES[race]
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    office = user_with_role("project_office")
    actor = provider if state in (State.DRAFT, State.SUBMITTED) else office
    application = ApplicationFactory(organisation=organisation, created_by=provider)
    if state != State.DRAFT:
        force_state(application, state)
    # Each thread gets its own copy, both loaded before either acts (both look current).
    copies = [Application.objects.get(pk=application.pk) for _ in range(2)]

    outcomes = run_at_once(first(copies[0], actor), second(copies[1], actor))
    close_old_connections()

    winners = [o for o in outcomes if isinstance(o, Application)]
    losers = [o for o in outcomes if not isinstance(o, Application)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], ApplicationError | ConcurrentChange), repr(losers[0])
    application.refresh_from_db()
    assert application.state == winners[0].state
    entries = list(AuditEntry.objects.for_object(application))
    assert len(entries) == 1
    assert entries[0].action in codes
    if race == "submit-submit":
        assert application.reference is not None
        assert Application.objects.filter(reference=application.reference).count() == 1
        # Received once in the statistics journal, as the history says.
        lines = StatisticsEntry.objects.filter(application=application)
        assert sum(line.received for line in lines) == 1
    assert journal.differences() == []


def test_simultaneous_submissions_get_consecutive_references():
    fiscal_year = FiscalYearFactory()
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    drafts = [
        ApplicationFactory(organisation=organisation, fiscal_year=fiscal_year) for _ in range(4)
    ]

    outcomes = run_at_once(*(submit(draft, provider) for draft in drafts))

    assert all(isinstance(o, Application) for o in outcomes), outcomes
    year = fiscal_year.year
    assert sorted(o.reference for o in outcomes) == [f"VF-{year}-{n:04d}" for n in range(1, 5)]


def test_simultaneous_submissions_to_two_funds_of_one_year():
    integration = FiscalYearFactory()
    year = integration.year
    quarter = FiscalYearFactory(fund=FundFactory(code="quartier", name="Quartiersfonds"), year=year)
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    first = ApplicationFactory(organisation=organisation, fiscal_year=integration)
    second = ApplicationFactory(organisation=organisation, fiscal_year=quarter)
    first_is_uncommitted = threading.Event()

    def submit_first_and_hold():
        # Submit, then keep the transaction open a moment: what a slow request does.
        with transaction.atomic():
            result = use_cases.submit_application(application=first, by=provider)
            first_is_uncommitted.set()
            time.sleep(1)
        return result

    def submit_second():
        assert first_is_uncommitted.wait(timeout=10)
        return use_cases.submit_application(application=second, by=provider)

    outcomes = run_at_once(submit_first_and_hold, submit_second)

    assert all(isinstance(o, Application) for o in outcomes), outcomes
    assert {o.reference for o in outcomes} == {f"VF-{year}-0001", f"VF-{year}-0002"}
