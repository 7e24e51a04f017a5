"""Fixtures shared by the ledger tests (issue 9, defect 18). ``finance`` and ``roles`` are the
shared ones of tests/conftest.py; a module that needs other amounts defines its own ``year``."""

import pytest

from tests.factories import ActionFieldFactory, FundFactory, funded_year


@pytest.fixture
def year(finance):
    """This year of the factory fund with a budget of 200,000.00 (nothing allocated)."""
    return funded_year(finance=finance)


@pytest.fixture
def fields(db):
    """Three action fields of one fund (the factory's codes and names)."""
    fund = FundFactory()
    return [ActionFieldFactory(fund=fund) for _ in range(3)]


@pytest.fixture
def finance_client(client, finance):
    """The test client, logged in as ``finance``."""
    client.force_login(finance)
    return client
