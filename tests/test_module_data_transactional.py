"""``module_data`` in a module with transactional tests builds for every test (defect 19)."""

import pytest

from fund_manager.organisations.models import Organisation
from tests.conftest import module_data
from tests.factories import OrganisationFactory

BUILDS = []
SEEN = []


@module_data
def committed():
    BUILDS.append(OrganisationFactory(name="Jedes Mal gebaut e.V.").pk)
    return len(BUILDS)


def assert_built_for_this_test(build):
    assert build == len(BUILDS)
    assert build not in SEEN
    SEEN.append(build)
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Jedes Mal gebaut e.V."]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", [1, 2])
def test_defect_19_a_transactional_module_builds_for_every_test(committed, run):
    assert_built_for_this_test(committed)


@pytest.mark.django_db
def test_defect_19_a_plain_test_there_gets_its_own_build_too(committed):
    assert_built_for_this_test(committed)
