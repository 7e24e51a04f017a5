from decimal import Decimal

from fund_manager.applications.models import State


def test_submit_assigns_reference(submitted):
    assert submitted.state == State.SUBMITTED
    assert submitted.reference.startswith("VF-")
    assert submitted.requested_amount == Decimal("1134.56")
