import datetime

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ActionFieldFactory, FiscalYearFactory, TargetGroupFactory


@pytest.fixture
def api():
    """Returns a client acting as ``user`` (token authentication, as other systems use it)."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def fiscal_year(db):
    return FiscalYearFactory()


@pytest.fixture
def action_field(fiscal_year):
    return ActionFieldFactory(fund=fiscal_year.fund, code="sprache", name="Sprache")


@pytest.fixture
def target_group(fiscal_year):
    return TargetGroupFactory(fund=fiscal_year.fund, code="familien", name="Familien")


@pytest.fixture
def payload(action_field, target_group):
    """A complete, valid POST body: costs 1500.50, own funds 100.00 -> requested 1400.50."""
    today = timezone.localdate()
    return {
        "title": "Sprachcafé für Familien",
        "summary": "Wöchentliches Sprachcafé.",
        "project_kind": "model",
        "approach": "Peer-Lernen; danach trägt der Verein das Angebot selbst.",
        "action_field": "sprache",
        "target_groups": ["familien"],
        "location": "Herne-Mitte",
        "start_date": (today + datetime.timedelta(days=30)).isoformat(),
        "end_date": (today + datetime.timedelta(days=120)).isoformat(),
        "cost_items": [
            {"category": "personnel", "description": "Honorare", "amount": "1200.00"},
            {"category": "rent", "description": "Raummiete", "amount": "300.50"},
        ],
        "own_funds": "100.00",
        "third_party_funds": "0.00",
        "declarations": {
            "not_otherwise_financeable": True,
            "not_started": True,
            "new_approach": True,
            "sustainable": True,
        },
    }
