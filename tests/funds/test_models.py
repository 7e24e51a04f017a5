"""funds.models: the database keeps budgets non-negative and one fiscal year per fund and year."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fund_manager.funds.models import FiscalYear
from tests.factories import FiscalYearFactory, FundFactory

pytestmark = pytest.mark.django_db


def test_negative_budget_is_refused_by_the_database():
    fiscal_year = FiscalYearFactory(budget=Decimal("1.00"))

    with pytest.raises(IntegrityError), transaction.atomic():
        FiscalYear.objects.filter(pk=fiscal_year.pk).update(budget=Decimal("-0.01"))


def test_negative_budget_is_refused_by_validation():
    fiscal_year = FiscalYear(fund=FundFactory(), year=2031, budget=Decimal("-0.01"))

    with pytest.raises(ValidationError) as excinfo:
        fiscal_year.full_clean()

    assert "budget" in excinfo.value.error_dict


def test_one_fiscal_year_per_fund_and_year():
    fund = FundFactory()
    FiscalYear.objects.create(fund=fund, year=2031)

    with pytest.raises(IntegrityError), transaction.atomic():
        FiscalYear.objects.create(fund=fund, year=2031)

    FiscalYear.objects.create(fund=FundFactory(code="quartier", name="Quartiersfonds"), year=2031)


def test_is_open():
    fiscal_year = FiscalYearFactory()

    assert fiscal_year.is_open
    fiscal_year.state = FiscalYear.State.CLOSED
    assert not fiscal_year.is_open
