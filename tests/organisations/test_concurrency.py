"""Bank details under races (PostgreSQL: real row locks): two people confirm the same change
at once, two people enter new details at once. Exactly one wins; the other is refused."""

import pytest
from django.db import connection

from fund_manager.core.models import AuditEntry
from fund_manager.core.roles import sync_roles
from fund_manager.organisations import services
from fund_manager.organisations.models import BankDetailsChange, Organisation
from fund_manager.organisations.services import OrganisationError
from tests.concurrency import run_at_once

from .conftest import NEW_IBAN

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def roles():
    """A transactional test may start from a flushed database without the role groups."""
    sync_roles()


def test_two_confirmations_at_once_confirm_once(office, office2, finance, soforthilfe):
    change = services.request_bank_details_change(
        organisation=soforthilfe,
        iban=NEW_IBAN,
        bic="",
        account_holder="Soforthilfe Herne e.V.",
        creditor_number="",
        by=office,
    )
    outcomes = run_at_once(
        lambda: services.confirm_bank_details_change(change=change, by=office2),
        lambda: services.confirm_bank_details_change(change=change, by=finance),
    )

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1
    assert isinstance(refused[0], OrganisationError)
    assert refused[0].code == "change_decided"
    assert BankDetailsChange.objects.get().state == BankDetailsChange.State.CONFIRMED
    assert Organisation.objects.get(pk=soforthilfe.pk).iban == NEW_IBAN
    assert AuditEntry.objects.filter(action="organisation.bank_details_confirmed").count() == 1


def test_two_entries_at_once_leave_one_pending(office, office2, soforthilfe):
    def enter(by, iban):
        return lambda: services.request_bank_details_change(
            organisation=soforthilfe,
            iban=iban,
            bic="",
            account_holder="Soforthilfe Herne e.V.",
            creditor_number="",
            by=by,
        )

    outcomes = run_at_once(enter(office, NEW_IBAN), enter(office2, "GB82WEST12345698765432"))

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1
    assert refused[0].code == "change_pending"
    assert BankDetailsChange.objects.filter(state="pending").count() == 1
    assert AuditEntry.objects.filter(action="organisation.bank_details_entered").count() == 1
