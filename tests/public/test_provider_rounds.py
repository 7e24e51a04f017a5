"""The provider's list and application page show the deciding round (issue 12, item 4), and
the list does not pay a query per application for it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fund_manager.rounds.models import FundingRound, RoundState
from tests.factories import ApplicationFactory, FiscalYearFactory, force_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_round():
    today = timezone.localdate()
    funding_round = FundingRound.objects.create(
        fiscal_year=FiscalYearFactory(),
        number=1,
        submission_deadline=today + datetime.timedelta(days=10),
        session_date=today + datetime.timedelta(days=20),
    )
    FundingRound.objects.filter(pk=funding_round.pk).update(state=RoundState.OPEN)
    funding_round.refresh_from_db()
    return funding_round


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_my_list_shows_the_deciding_round_without_a_query_per_application(
    client, provider, organisation, open_round
):
    def add(count):
        for _ in range(count):
            application = ApplicationFactory(
                organisation=organisation, created_by=provider, fiscal_year=open_round.fiscal_year
            )
            force_state(application, "submitted")

    client.force_login(provider)
    add(2)
    few, html = _queries(client, reverse("applications:mine"))
    session = f"{open_round.session_date:%d.%m.%Y}"
    # Each card names its round, and so does the box of the next round above the list.
    assert html.count(f"Förderrunde {open_round} am {session}") == 2 + 1
    add(5)
    many, html = _queries(client, reverse("applications:mine"))
    assert html.count(f"Förderrunde {open_round} am {session}") == 7 + 1
    assert many == few


def test_application_page_shows_the_deciding_round(client, provider, organisation, open_round):
    draft = ApplicationFactory(
        organisation=organisation, created_by=provider, fiscal_year=open_round.fiscal_year
    )
    client.force_login(provider)
    html = client.get(reverse("applications:detail", args=[draft.pk])).content.decode()
    assert f"Nächste Einreichungsfrist: {open_round.submission_deadline:%d.%m.%Y}" in html
