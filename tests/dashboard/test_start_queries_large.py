"""Each start page within its query budget with 10_000 applications (tests/dashboard/queries.py;
the same budget holds in test_start_queries_small.py)."""

import pytest

from tests.bulk import populate
from tests.conftest import module_data

from .queries import PAGES, check_page

pytestmark = pytest.mark.django_db


@module_data
def world():
    return populate(10_000)


@pytest.mark.parametrize(("role", "name", "limit"), PAGES)
def test_start_page_runs_a_bounded_number_of_queries(
    client, world, role, name, limit, django_assert_max_num_queries
):
    assert world.count == 10_000
    check_page(client, world, role, name, limit, django_assert_max_num_queries)
