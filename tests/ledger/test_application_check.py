"""Defect 2 of issue 9: the ledger and the applications agree.

``verify_applications`` (run by ``manage.py verify_ledger`` and after every test) checks every
application over all fiscal years: open commitment = committed − released − disbursed (gross,
refunds not netted), only an approved, not yet settled application holds one, and every such
approval has one. A transfer of an application is never reversed in the journal.

The tests that break the agreement on purpose opt out of the after-test cross-check
(``applications_unchecked``); the demo data is seeded once for this module.
"""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Q

from fund_manager.applications.ledger_check import HOLDING_STATES, verify_applications
from fund_manager.applications.models import Application
from fund_manager.ledger import services
from fund_manager.ledger.errors import TiedToApplication
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.posting import post_transfer
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    force_approval,
    force_state,
    funded_year,
)

D = Decimal
pytestmark = pytest.mark.django_db
unchecked = pytest.mark.applications_unchecked  # the test breaks the agreement on purpose


def verify_ledger(*args):
    """(exit code, output lines) of ``manage.py verify_ledger``."""
    out = StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out, no_color=True)
    except SystemExit as exit_:
        return exit_.code, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def ledger_state():
    return (
        Transfer.objects.count(),
        dict(Account.objects.values_list("pk", "balance")),
    )


@pytest.fixture
def field(db):
    return ActionFieldFactory(code="teilhabe", name="Gesellschaftliche Teilhabe")


@pytest.fixture
def year(finance, field):
    return funded_year(
        budget="10000.00", allocations={field: "5000.00"}, finance=finance, fund=field.fund
    )


def application_in(year, field, reference, state="approved", approved=None):
    application = ApplicationFactory(fiscal_year=year, action_field=field)
    Application.objects.filter(pk=application.pk).update(reference=reference)
    if approved is not None:
        return force_approval(application, approved, state)
    return force_state(application, state)


def commit(application, amount, by, key="commit"):
    return services.commit(
        application=application,
        amount=D(amount),
        by=by,
        idempotency_key=key,
        reason="Beschluss der Lenkungsgruppe",
    )


def reverse_behind_the_services(transfer, by):
    """What ``reverse_transfer`` booked before defect 2 was fixed (the only way such data can
    exist now is an old database)."""
    return post_transfer(
        fiscal_year=transfer.fiscal_year,
        source=transfer.target,
        target=transfer.source,
        amount=transfer.amount,
        kind=TransferKind.REVERSAL,
        reason="Storno",
        by=by,
        idempotency_key=f"old-reversal-{transfer.pk}",
        application=transfer.application,
        reverses=transfer,
    ).transfer


# --- a sound ledger ------------------------------------------------------------------------------
def test_defect_02_an_approval_with_its_commitment_passes(year, field, finance):
    application = application_in(year, field, "VF-2031-0001", approved="1200.00")
    commit(application, "1200.00", finance)
    services.disburse(
        application=application, amount=D("200.00"), by=finance, idempotency_key="d", reason="x"
    )
    force_state(application, "in_payment")

    check = verify_applications()

    assert (check.problems, check.checked) == ([], 1)
    assert verify_ledger() == (
        0,
        [f"{year}: OK (4 transfers)", "Anträge: OK (1 Bewilligung geprüft)"],
    )


def test_defect_02_a_commitment_carried_into_the_next_year_is_summed_over_both(
    year, field, finance
):
    following = funded_year(budget="100.00", finance=finance, fund=year.fund, year=year.year + 1)
    application = application_in(year, field, "VF-2031-0002", approved="1000.00")
    commit(application, "1000.00", finance)
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    # A partial waiver in the next year: released there, the approved amount lowered with it.
    services.release(
        application=application, amount=D("300.00"), by=finance, idempotency_key="r", reason="x"
    )
    force_approval(application, "700.00")

    assert Account.objects.get(
        fiscal_year=following, kind=AccountKind.COMMITTED, application=application
    ).balance == D("700.00")
    assert verify_applications().problems == []
    code, lines = verify_ledger()
    assert (code, lines[-1]) == (0, "Anträge: OK (1 Bewilligung geprüft)")


# --- what it catches -----------------------------------------------------------------------------
@unchecked
@pytest.mark.parametrize("state", ["eligible", "draft", "closed", "revoked", "withdrawn"])
def test_defect_02_verify_ledger_catches_a_commitment_without_an_approval(
    year, field, finance, state
):
    application = application_in(year, field, "VF-2031-0003", state=state)
    commit(application, "800.00", finance)

    code, lines = verify_ledger()

    assert code == 1
    assert lines[-2] == "Anträge: 1 Problem"
    assert lines[-1].startswith("  - Antrag VF-2031-0003: Mittelbindung ohne Bewilligung: 800.00")
    assert len(verify_applications().problems) == 1


@unchecked
@pytest.mark.parametrize("state", HOLDING_STATES)
def test_defect_02_verify_ledger_catches_an_approval_without_a_commitment(year, field, state):
    application_in(year, field, "VF-2031-0004", state=state, approved="500.00")

    code, lines = verify_ledger()

    assert code == 1
    assert lines[-2] == "Anträge: 1 Problem"
    assert lines[-1].startswith("  - Antrag VF-2031-0004: Bewilligung ohne Mittelbindung")
    assert "bewilligt 500.00" in lines[-1]


@unchecked
def test_defect_02_verify_ledger_catches_a_reversed_commitment(year, field, finance):
    """The reported case: the commitment reversed in the journal, the application approved."""
    application = application_in(year, field, "VF-2031-0005", approved="1000.00")
    reverse_behind_the_services(commit(application, "1000.00", finance), finance)

    code, lines = verify_ledger()

    assert code == 1
    assert lines[0] == f"{year}: OK (4 transfers)"  # each year is sound in itself
    assert (
        "  - Antrag VF-2031-0005: offene Mittelbindung 0.00 ≠ gebunden 1000.00 − freigegeben 0.00 "
        "− ausgezahlt 0.00 = 1000.00"
    ) in lines


@unchecked
def test_defect_02_verify_ledger_catches_an_approved_amount_that_differs(year, field, finance):
    application = application_in(year, field, "VF-2031-0006", approved="1000.00")
    commit(application, "900.00", finance)

    problems = verify_applications().problems

    assert problems == [
        "Antrag VF-2031-0006: bewilligter Betrag 1000.00 ≠ gebunden 900.00 − freigegeben 0.00 "
        "= 900.00"
    ]


@unchecked
def test_defect_02_verify_ledger_catches_a_reversed_disbursement(year, field, finance):
    application = application_in(year, field, "VF-2031-0007", approved="1000.00")
    commit(application, "1000.00", finance)
    paid = services.disburse(
        application=application, amount=D("400.00"), by=finance, idempotency_key="d", reason="x"
    )
    reverse_behind_the_services(paid, finance)

    problems = verify_applications().problems

    assert any("VF-2031-0007: offene Mittelbindung 1000.00" in p for p in problems), problems
    assert any("VF-2031-0007: Auszahlungskonto 0.00 ≠ ausgezahlt 400.00" in p for p in problems)


@unchecked
def test_defect_02_verify_ledger_catches_a_commitment_carried_out_but_not_in(year, field, finance):
    application = application_in(year, field, "VF-2031-0008", approved="1000.00")
    commitment = commit(application, "1000.00", finance)
    post_transfer(
        fiscal_year=year,
        source=commitment.target,
        target=Account.objects.get(fiscal_year=year, kind=AccountKind.BUDGET),
        amount=D("1000.00"),
        kind=TransferKind.CARRY_OUT,
        reason="Übertrag ohne Gegenbuchung",
        by=finance,
        idempotency_key="out",
        application=application,
    )

    problems = verify_applications().problems

    assert any(
        "VF-2031-0008: aus einem Jahr übertragene Mittelbindung 1000.00 ≠ ins Folgejahr "
        "übernommene 0.00" in p
        for p in problems
    ), problems


# --- refused in the journal ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["commitment", "release", "disbursement", "refund"])
def test_defect_02_reverse_transfer_refuses_every_transfer_of_an_application(
    year, field, finance, kind
):
    application = application_in(year, field, "VF-2031-0009", approved="600.00")
    commit(application, "1000.00", finance)
    common = {"application": application, "by": finance, "reason": "x"}
    services.release(amount=D("400.00"), idempotency_key="r", **common)
    services.disburse(amount=D("500.00"), idempotency_key="d", **common)
    services.refund(amount=D("50.00"), idempotency_key="f", **common)
    force_state(application, "in_payment")
    transfer = Transfer.objects.get(kind=kind, application=application)
    before = ledger_state()

    with pytest.raises(TiedToApplication) as refused:
        services.reverse_transfer(
            transfer=transfer, by=finance, reason="Fehler", idempotency_key="rev"
        )

    assert refused.value.code == "tied_to_application"
    assert refused.value.status_code == 409
    assert str(refused.value) == (
        "Diese Buchung gehört zum Antrag VF-2031-0009. Ändern Sie die Bewilligung über den Antrag "
        "(Verzicht, Teilwiderruf oder Widerruf)."
    )
    assert ledger_state() == before
    assert not Transfer.objects.filter(kind=TransferKind.REVERSAL).exists()


def test_defect_02_a_carried_commitment_is_tied_in_both_years(year, field, finance):
    following = funded_year(budget="100.00", finance=finance, fund=year.fund, year=year.year + 1)
    application = application_in(year, field, "VF-2031-0010", approved="300.00")
    commit(application, "300.00", finance)
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    carry_in = Transfer.objects.get(fiscal_year=following, kind=TransferKind.CARRY_IN)
    before = ledger_state()

    with pytest.raises(TiedToApplication):
        services.reverse_transfer(
            transfer=carry_in, by=finance, reason="Fehler", idempotency_key="rev"
        )

    assert ledger_state() == before


def test_defect_02_a_transfer_naming_the_application_is_tied(year, field):
    """The business object alone ties a transfer, whatever its accounts."""
    application = application_in(year, field, "VF-2031-0011", state="draft")
    available = Account.objects.get(fiscal_year=year, kind=AccountKind.AVAILABLE)
    unallocated = Account.objects.get(fiscal_year=year, kind=AccountKind.UNALLOCATED)

    named = Transfer(source=unallocated, target=available, application=application)
    plain = Transfer(source=unallocated, target=available)

    assert services.tied_application(named) == application
    assert services.tied_application(plain) is None


# --- the demo data ------------------------------------------------------------------------------
@pytest.fixture
def demo(demo_data):
    """The demo data, seeded once for this module (tests/conftest.py ``demo_data``: inside the
    module's transaction, rolled back at its end; each test runs in a savepoint inside it)."""
    return demo_data


def test_defect_02_the_demo_data_passes_the_application_cross_check(demo):
    # Issue 11: the demo closes some grants (settled usage reports); their accounts are
    # checked all the same.
    approvals = Application.objects.filter(
        Q(state__in=HOLDING_STATES) | Q(accounts__isnull=False)
    ).distinct()

    check = verify_applications()
    code, lines = verify_ledger()

    assert check.problems == []
    assert check.checked >= approvals.count() >= 15
    assert code == 0, lines
    assert lines[-1] == f"Anträge: OK ({check.checked} Bewilligungen geprüft)"


def test_defect_02_kaemmerei_cannot_reverse_the_commitment_of_vf_2017_0001(demo):
    """The reported case on the demo data: refused, nothing booked, the figures still agree."""
    kaemmerei = get_user_model().objects.get(username="kaemmerei")
    application = Application.objects.get(reference="VF-2017-0001")
    commitment = Transfer.objects.get(application=application, kind=TransferKind.COMMITMENT)
    before = ledger_state()

    with pytest.raises(TiedToApplication) as refused:
        services.reverse_transfer(
            transfer=commitment, by=kaemmerei, reason="Fehler", idempotency_key="rev"
        )

    assert "Antrag VF-2017-0001" in str(refused.value)
    assert ledger_state() == before
    application.refresh_from_db()
    assert application.state == "approved"
    assert verify_applications().problems == []
