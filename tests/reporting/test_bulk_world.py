"""tests/bulk.py builds what the services would leave behind: the statistics read it as such,
and the ledger checks after every test hold (the autouse fixture in tests/conftest.py)."""

from collections import Counter

import pytest

from fund_manager.applications.models import Application
from fund_manager.reporting.statistics import statistics
from tests.bulk import AMOUNT, CYCLE, populate

pytestmark = pytest.mark.django_db


def test_populate_reads_like_the_services_history():
    world = populate(60)
    result = statistics(fiscal_years=[world.fiscal_year])
    states = Counter(Application.objects.values_list("state", flat=True))
    assert {code: n for code, _label, n in result.by_state} == dict(states)
    assert sum(states.values()) == 60 == len(CYCLE) * 3
    assert result.approved_count == world.approved
    assert result.approved_total == AMOUNT * world.approved
    assert result.open_commitments == AMOUNT * world.approved
    assert result.received_count == 60 - states["draft"]
