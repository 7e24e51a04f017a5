"""GET /api/v1/rounds/{id}/minutes.pdf (docs/api.md)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import module_data
from tests.factories import provider_user
from tests.rounds.conftest import build_setting
from tests.rounds.test_session import eligible_application, in_session, vote_all
from workflows import rounds as round_use_cases

pytestmark = pytest.mark.django_db


@module_data
def setting():
    """tests/rounds/conftest.py's ``build_setting()`` (round 1 planned, a steering group of
    four, 1000.00 available), built once for this module."""
    return build_setting()


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_minutes_pdf_after_the_session(setting):
    (item,) = in_session(setting, eligible_application(setting))
    url = f"/api/v1/rounds/{setting['round'].pk}/minutes.pdf"
    office = client_for(setting["office"])
    assert office.get(url).status_code == 404  # not decided yet
    vote_all(setting, item, ["no"] * 4)
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    response = office.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert client_for(provider_user()).get(url).status_code == 403
