from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import ActionField, FiscalYear, TargetGroup
from fund_manager.organisations.models import Organisation
from tests.conftest import module_data

pytestmark = pytest.mark.django_db

# The refusal with DEBUG off needs an empty database: tests/funds/test_seed_demo_refusal.py.


@module_data
def seeded():
    """``seed_demo`` run once for this module (defect 19); each test starts from its result."""
    with override_settings(DEBUG=True):
        call_command("seed_demo")


def test_seed_demo_builds_the_herne_fund_and_is_idempotent(settings, seeded):
    settings.DEBUG = True
    counts = (
        Application.objects.count(),
        AuditEntry.objects.count(),
        Organisation.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Application.objects.count(),
        AuditEntry.objects.count(),
        Organisation.objects.count(),
    )

    year = FiscalYear.objects.get(year=2017)
    assert year.budget == Decimal("200000.00")
    assert ActionField.objects.filter(fund=year.fund).count() == 6
    assert TargetGroup.objects.filter(fund=year.fund).count() == 3
    for name in [
        "Soforthilfe Herne e.V.",
        "Stadtsportbund Herne e.V.",
        "Caritasverband Herne e.V.",
    ]:
        assert Organisation.objects.filter(name=name).exists()
    year_2017 = Application.objects.filter(fiscal_year=year)
    assert year_2017.count() == 17  # the six the seed names and eleven more
    assert all(a.submitted_at.year == 2017 for a in year_2017)
    for title in ["Willkommenskurs", "FIPS – Flüchtlinge integrieren psychosozial"]:
        assert year_2017.get(title=title).state == State.APPROVED
    states = set(Application.objects.values_list("state", flat=True))
    assert {
        State.APPROVED,
        State.REJECTED,
        State.SCHEDULED,
        State.DRAFT,
        State.SUBMITTED,
        State.IN_REVIEW,
        State.CHANGES_REQUESTED,
        # No application stays "eligible": this year's open rounds take them onto an agenda.
        State.INELIGIBLE,
        State.WITHDRAWN,
    } <= states


def test_demo_applications_went_through_the_services(seeded):
    for application in Application.objects.exclude(state=State.DRAFT):
        actions = set(AuditEntry.objects.for_object(application).values_list("action", flat=True))
        assert "application.submitted" in actions


def test_defect_06_the_demo_past_is_decided_or_cancelled(settings, seeded):
    """No round of a past year is left open: 2017's rounds are minuted or cancelled with a
    reason, only this year has open rounds; the seed's 15 approvals of 52,440.30 EUR by
    2017-06-08 stay, the year 2017 stays open and its ledger is sound."""
    import datetime

    from django.utils import timezone

    from fund_manager.ledger.models import Transfer, TransferKind
    from fund_manager.ledger.verification import verify_year
    from fund_manager.rounds import documents
    from fund_manager.rounds.models import FundingRound, ItemState, RoundState

    settings.DEBUG = True
    year = FiscalYear.objects.get(year=2017)
    assert year.is_open
    states = dict(FundingRound.objects.filter(fiscal_year=year).values_list("number", "state"))
    assert states == {
        1: RoundState.MINUTED,
        2: RoundState.MINUTED,
        3: RoundState.MINUTED,
        4: RoundState.MINUTED,
        5: RoundState.CANCELLED,
    }
    fifth = FundingRound.objects.get(fiscal_year=year, number=5)
    assert "kein Antrag" in fifth.cancellation_reason
    assert timezone.localdate(fifth.cancelled_at) == datetime.date(2017, 11, 1)
    assert AuditEntry.objects.for_object(fifth).filter(action="round.cancelled").exists()

    # Round 4 decided the Stadtteilfest deferred in round 3, on its session day.
    fourth = FundingRound.objects.get(fiscal_year=year, number=4)
    (item,) = fourth.items.select_related("application")
    assert item.application.title == "Interkulturelles Stadtteilfest"
    assert item.state == ItemState.REJECTED
    assert item.application.state == State.REJECTED
    assert timezone.localdate(fourth.opened_at) == fourth.session_date == datetime.date(2017, 9, 20)
    minutes = documents.minutes_html(fourth)
    assert "Lukas Lenkung – erschienen um" in minutes
    assert fourth.minutes_signed_by.username == "vorsitz"

    # Open rounds only in the current year.
    this_year = timezone.localdate().year
    waiting = FundingRound.objects.filter(
        state__in=[RoundState.PLANNED, RoundState.OPEN, RoundState.CLOSED, RoundState.IN_SESSION]
    )
    assert set(waiting.values_list("fiscal_year__year", flat=True)) == {this_year}
    assert all(r.session_date >= timezone.localdate() for r in waiting)

    # The seed: 15 approvals, 52,440.30 EUR committed by 2017-06-08, nothing after.
    commitments = Transfer.objects.filter(fiscal_year=year, kind=TransferKind.COMMITMENT)
    assert commitments.count() == 15
    assert all(t.created_at.date() <= datetime.date(2017, 6, 8) for t in commitments)
    assert sum(t.amount for t in commitments) == Decimal("52440.30")
    approved = Application.objects.filter(fiscal_year=year, state=State.APPROVED)
    assert approved.count() == 15
    assert sum(a.approved_amount for a in approved) == Decimal("52440.30")
    assert verify_year(year) == []

    # Idempotent: a second run changes nothing.
    counts = (AuditEntry.objects.count(), Transfer.objects.count())
    call_command("seed_demo")
    assert counts == (AuditEntry.objects.count(), Transfer.objects.count())
