import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger.models import Account, Transfer
from tests.conftest import module_data
from tests.factories import (
    ActionFieldFactory,
    FiscalYearFactory,
    FundFactory,
    OrganisationFactory,
    TargetGroupFactory,
    funded_year,
    provider_user,
    user_with_role,
)
from tests.rounds.conftest import build_setting


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


# --- the ledger endpoints' fixtures (shared since issue 9, defect 18) ----------------------------
@pytest.fixture
def fields(db):
    """Two action fields of the factory fund: sprache (position 1) and bildung (position 2)."""
    fund = FundFactory()
    return (
        ActionFieldFactory(fund=fund, code="sprache", name="Sprache", position=1),
        ActionFieldFactory(fund=fund, code="bildung", name="Bildung", position=2),
    )


@pytest.fixture
def year(finance, fields):
    """Budget 1000.00; sprache has 300.00, bildung 100.00, 600.00 are unallocated. (A module
    that needs other amounts defines its own ``year``.)"""
    sprache, bildung = fields
    return funded_year(
        finance=finance,
        year=2031,
        budget="1000.00",
        allocations={sprache: "300.00", bildung: "100.00"},
    )


def snapshot():
    """What a refused booking must leave as it was: transfers, balances, budgets, audit."""
    return {
        "transfers": list(Transfer.objects.order_by("pk").values_list("pk", flat=True)),
        "accounts": list(Account.objects.order_by("pk").values_list("pk", "balance")),
        "budgets": list(FiscalYear.objects.order_by("pk").values_list("pk", "budget", "state")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def unchanged(year):
    """Call it after the request: asserts the ledger is as it was before the test's request."""
    before = snapshot()

    def check():
        assert snapshot() == before

    return check


# --- the rounds endpoints' world (built once per module: issue 9, defect 19) ------------------
@module_data
def world():
    """A steering group of four (chair first), round 1 planned for today, 1000.00 available in
    sprache, an applicant with its provider and another provider; a SimpleNamespace. Built once
    per module (each test gets its own copy)."""
    setting = build_setting(code="sprache", name="Sprache")
    office, finance, year = setting["office"], setting["finance"], setting["year"]
    field, funding_round, chair = setting["field"], setting["round"], setting["chair"]
    members = setting["members"]
    organisation = OrganisationFactory()
    world = SimpleNamespace(
        office=office,
        finance=finance,
        year=year,
        field=field,
        round=funding_round,
        chair=chair,
        members=members,
        member=members[1],
        outsider=user_with_role("steering_member"),  # a steering member without a seat here
        organisation=organisation,
        provider=provider_user(organisation),
        other_provider=provider_user(OrganisationFactory()),
    )
    return world
