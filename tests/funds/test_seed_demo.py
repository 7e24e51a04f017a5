from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import ActionField, FiscalYear, TargetGroup
from fund_manager.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Organisation.objects.exists()


def test_seed_demo_builds_the_herne_fund_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
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


def test_demo_applications_went_through_the_services(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    for application in Application.objects.exclude(state=State.DRAFT):
        actions = set(AuditEntry.objects.for_object(application).values_list("action", flat=True))
        assert "application.submitted" in actions
