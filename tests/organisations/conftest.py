import pytest
from django.forms.models import model_to_dict

from fund_manager.core.models import AuditEntry
from fund_manager.organisations.models import BankDetailsChange, Membership, Organisation
from tests.factories import OrganisationFactory, provider_user, user_with_role

OLD_IBAN = "DE89370400440532013000"
NEW_IBAN = "DE02120300000000202051"


@pytest.fixture
def soforthilfe(db):
    """The demo's first applicant organisation, with its provider login."""
    organisation = OrganisationFactory(
        name="Soforthilfe Herne e.V.",
        street="Bahnhofstraße 1",
        postal_code="44623",
        city="Herne",
        email="info@soforthilfe.example",
        creditor_number="100200",
        iban=OLD_IBAN,
        bic="",
        account_holder="Soforthilfe Herne e.V.",
    )
    provider_user(organisation, username="traeger", email="traeger@example.org")
    return organisation


@pytest.fixture
def office(db):
    return user_with_role("project_office", username="projektbuero")


@pytest.fixture
def office2(db):
    return user_with_role("project_office", username="projektbuero2")


@pytest.fixture
def finance(db):
    return user_with_role("finance", username="kaemmerei")


@pytest.fixture
def auditor(db):
    return user_with_role("auditor", username="pruefung")


def snapshot():
    """Everything the organisation services may write."""
    return (
        [model_to_dict(o) for o in Organisation.objects.order_by("pk")],
        list(Membership.objects.order_by("pk").values_list("organisation_id", "user_id")),
        [model_to_dict(c) for c in BankDetailsChange.objects.order_by("pk")],
        AuditEntry.objects.count(),
    )


@pytest.fixture
def unchanged():
    """``with unchanged():`` style check: the database is the same after the block."""

    class _Unchanged:
        def __enter__(self):
            self.before = snapshot()
            return self

        def __exit__(self, *exc):
            assert snapshot() == self.before
            return False

    return _Unchanged
