"""The machinery of tests/conftest.py that builds heavy data once per module (defect 19)."""

import pytest

from fund_manager.funds.models import Fund
from fund_manager.organisations.models import Organisation
from tests.conftest import module_data
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

BUILDS = []


@module_data
def built():
    BUILDS.append(1)
    return {"organisation": OrganisationFactory(name="Einmal gebaut e.V.")}


def test_defect_19_module_data_is_built_once_for_the_module(built):
    assert Organisation.objects.get(name="Einmal gebaut e.V.") == built["organisation"]
    # A test's own writes are rolled back after it (see the next test).
    built["organisation"].name = "Geändert e.V."
    built["organisation"].save()
    OrganisationFactory(name="Nur in diesem Test e.V.")


def test_defect_19_a_test_sees_the_data_as_built_not_as_the_last_test_left_it(built):
    assert built["organisation"].name == "Einmal gebaut e.V."  # a fresh copy in memory
    names = set(Organisation.objects.values_list("name", flat=True))
    assert names == {"Einmal gebaut e.V."}
    assert BUILDS == [1]


def test_defect_19_the_data_stays_for_tests_without_the_fixture():
    assert Organisation.objects.filter(name="Einmal gebaut e.V.").exists()
    assert not Fund.objects.exists()
    assert BUILDS == [1]
