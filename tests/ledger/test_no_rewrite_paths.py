"""Transfers cannot be changed through the API or an import either (issue 3, item 1)."""

from decimal import Decimal

import pytest
import tablib
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fund_manager.ledger import services
from fund_manager.ledger.models import Transfer
from fund_manager.ledger.resources import TransferResource
from tests.factories import ActionFieldFactory, funded_year, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked():
    finance = user_with_role("finance")
    year = funded_year(finance=finance)
    field = ActionFieldFactory(fund=year.fund)
    transfer = services.allocate(
        fiscal_year=year,
        action_field=field,
        amount=Decimal("100.00"),
        by=finance,
        idempotency_key="k1",
    ).transfer
    return finance, transfer


def snapshot():
    return list(Transfer.objects.order_by("pk").values_list("pk", "amount", "reason", "hash"))


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_api_offers_no_way_to_change_a_transfer(booked, method):
    finance, transfer = booked
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=finance).key}")
    before = snapshot()
    response = getattr(client, method)(
        f"/api/v1/transfers/{transfer.pk}/", {"amount": "1.00", "reason": "x"}, format="json"
    )
    assert response.status_code == 405
    assert snapshot() == before


def test_an_import_of_transfers_is_refused(booked):
    assert booked[1].pk
    before = snapshot()
    exported = TransferResource().export()
    dataset = tablib.Dataset().load(exported.csv, format="csv")
    with pytest.raises(PermissionError):
        TransferResource().import_data(dataset, dry_run=False)
    assert snapshot() == before
