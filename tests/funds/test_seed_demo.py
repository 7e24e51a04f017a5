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
    # The six the seed names, eleven more, and a natural person's project (issue 13).
    assert year_2017.count() == 18
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
    from fund_manager.rounds.models import AgendaItem, FundingRound, ItemState, RoundState

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

    # Round 4 decided the Stadtteilfest deferred in round 3, on its session day, and approved
    # the private initiative's garden (a natural person: open data without her name).
    fourth = FundingRound.objects.get(fiscal_year=year, number=4)
    fest, garden = fourth.items.select_related("application").order_by("position")
    assert fest.application.title == "Interkulturelles Stadtteilfest"
    assert fest.state == ItemState.REJECTED
    assert fest.application.state == State.REJECTED
    assert garden.application.title == "Interkultureller Nachbarschaftsgarten"
    assert garden.state == ItemState.APPROVED
    assert garden.application.organisation.natural_person
    assert not garden.application.publication_consent
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

    # The seed: 15 approvals, 52,440.30 EUR committed by 2017-06-08; after it only the
    # private initiative's garden (round 4, 1,200.00 EUR).
    commitments = Transfer.objects.filter(fiscal_year=year, kind=TransferKind.COMMITMENT)
    by_the_seed = [t for t in commitments if t.created_at.date() <= datetime.date(2017, 6, 8)]
    assert len(by_the_seed) == 15
    assert sum(t.amount for t in by_the_seed) == Decimal("52440.30")
    later = [t for t in commitments if t not in by_the_seed]
    assert [(t.amount, t.created_at.date()) for t in later] == [
        (Decimal("1200.00"), datetime.date(2017, 9, 20))
    ]
    # The steering group's decisions (issue 11: the demo's payments and usage reports move
    # most of these grants on, to closed or a refund claim, so their states vary).
    approved = AgendaItem.objects.filter(round__fiscal_year=year, state=ItemState.APPROVED)
    assert approved.count() == 16
    assert sum(item.proposed_amount for item in approved) == Decimal("53640.30")
    assert verify_year(year) == []

    # Idempotent: a second run changes nothing.
    counts = (AuditEntry.objects.count(), Transfer.objects.count())
    call_command("seed_demo")
    assert counts == (AuditEntry.objects.count(), Transfer.objects.count())


def test_issue_11_the_demo_money_of_2017(seeded):
    """Deliver 10: the payments of 2017 in every state, two export batches, two imported
    confirmation files, usage reports accepted (one after an extension), one refund claim paid
    with interest and one open, a spending freeze set and lifted; the ledger is sound."""
    import datetime

    from fund_manager.ledger.models import SpendingFreeze
    from fund_manager.ledger.verification import verify_year
    from fund_manager.payments.models import ConfirmationImport, ExportBatch, PaymentRequest
    from fund_manager.rounds.models import AgendaItem
    from fund_manager.settlement.models import RefundClaim, UsageReport

    year = FiscalYear.objects.get(year=2017)
    fund = year.fund
    assert fund.ordering_office == "Fachbereich Integration"
    assert (fund.product_code, fund.cost_centre, fund.cost_account) != ("", "", "")
    assert fund.payer_iban.startswith("DE")
    assert len(fund.payer_bic) == 11
    assert ActionField.objects.filter(fund=fund).exclude(product_code="").count() == 2

    payments = PaymentRequest.objects.filter(fiscal_year=year)
    assert set(payments.values_list("state", flat=True)) == {
        "requested",
        "certified",
        "ordered",
        "exported",
        "paid",
        "rejected",
        "cancelled",
    }
    assert all(p.requested_at.year == 2017 for p in payments)
    internal = payments.filter(is_internal=True, state="paid")
    assert internal.count() == 5
    assert all(p.application.organisation.kind == "municipal" for p in internal)

    batches = ExportBatch.objects.filter(fiscal_year=year).order_by("batch_id")
    assert [(b.row_count, b.control_total) for b in batches] == [
        (4, Decimal("11130.30")),
        (7, Decimal("14555.00")),
    ]
    assert list(
        ConfirmationImport.objects.order_by("imported_at").values_list("confirmed_count", flat=True)
    ) == [4, 6]
    assert AgendaItem.objects.filter(
        round__fiscal_year=year, remedy_waived_on=datetime.date(2017, 6, 12)
    ).exists()
    (freeze,) = SpendingFreeze.objects.filter(fiscal_year=year)
    assert freeze.action_field.code == "wohnen"
    assert freeze.lifted_at is not None

    accepted = UsageReport.objects.filter(application__fiscal_year=year, state="accepted")
    assert accepted.count() == 5
    assert accepted.filter(extensions__state="granted").count() == 1
    claims = {c.application.reference: c for c in RefundClaim.objects.all()}
    paid, open_claim = claims["VF-2017-0002"], claims["VF-2017-0010"]
    assert (paid.state, paid.principal) == ("settled", Decimal("680.00"))
    assert sum(r.interest_part for r in paid.receipts.all()) > 0
    assert (open_claim.state, open_claim.principal) == ("open", Decimal("200.00"))
    states = dict(Application.objects.filter(fiscal_year=year).values_list("reference", "state"))
    assert states["VF-2017-0002"] == states["VF-2017-0004"] == State.CLOSED
    assert states["VF-2017-0010"] == State.REFUND_DUE
    assert states["VF-2017-0001"] == State.APPROVED
    assert verify_year(year) == []
