"""The statistics page /reports/statistics/ (issue 13): who may read it, the figures of the
demo as of 2017-06-08, the charts with their tables, and German errors for bad input."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fund_manager.funds.models import FiscalYear

pytestmark = pytest.mark.django_db

URL = "/reports/statistics/"


def _page(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def _year(number):
    return FiscalYear.objects.get(year=number)


def test_url_name():
    assert reverse("reporting:statistics") == URL


@pytest.mark.parametrize(
    "username", ["projektbuero", "vorsitz", "lenkung1", "lenkung2", "kaemmerei", "pruefung"]
)
def test_staff_read_it(client, demo_data, username):
    response = _page(client, demo_data.users[username])
    assert response.status_code == 200
    # Without a choice: this year's figures, as of today.
    assert response.context["years"] == [demo_data.year_now]
    assert response.context["stats"].as_of == timezone.localdate()


@pytest.mark.parametrize("username", ["traeger", "traeger2"])
def test_applicants_never(client, demo_data, username):
    response = _page(client, demo_data.users[username], fiscal_year=_year(2017).pk)
    assert response.status_code == 403
    assert b"52.440,30" not in response.content


def test_anonymous_is_sent_to_the_login(client, demo_data):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_demo_figures_as_of_2017_06_08(client, demo_data):
    response = _page(
        client, demo_data.users["projektbuero"], fiscal_year=_year(2017).pk, as_of="2017-06-08"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-figure="approved_count">15<', html)
    assert re.search(r'data-figure="approved_total">52\.440,30\xa0€<', html)
    assert "Haushaltsjahr 2017, Stand: Ende des 08.06.2017" in html
    # The table by action field, one row each, with the amount as people read it.
    row = re.search(r'<tr class="kern-table__row" data-code="sprache-beruf">(.*?)</tr>', html, re.S)
    assert row
    assert "16.140,30\xa0€" in row.group(1)
    # Target groups: the note that the rows do not add up.
    assert "Die Zeilen ergeben zusammen nicht die Gesamtsumme" in html
    for heading in (
        "Nach Handlungsfeld",
        "Nach Zielgruppe",
        "Nach Art des Antragstellers",
        "Nach Förderrunde",
        "Runde 2017/1",
    ):
        assert heading in html


def test_charts_are_svg_with_their_tables(client, demo_data):
    response = _page(
        client, demo_data.users["kaemmerei"], fiscal_year=_year(2017).pk, as_of="2017-06-08"
    )
    html = response.content.decode()
    for slug in ("chart-budget", "chart-rounds", "chart-states", "chart-target-groups"):
        figure = re.search(rf'<figure class="fm-chart" id="{slug}".*?</figure>', html, re.S)
        assert figure, slug
        body = figure.group(0)
        assert 'role="img" viewBox="0 0 ' in body
        assert 'width="100%"' in body
        assert f'aria-labelledby="{slug}-title {slug}-desc"' in body
        assert f'<title id="{slug}-title">' in body
        assert f'<desc id="{slug}-desc">' in body
        assert "<table" in body
        assert f'<caption id="{slug}-caption"' in body
        assert f'role="region" tabindex="0" aria-labelledby="{slug}-caption"' in body
    assert "Mittelverwendung je Handlungsfeld" in html
    assert "Bewilligungen je Förderrunde" in html
    # Strict CSP: no inline style, no script of its own.
    assert " style=" not in html
    assert "<script>" not in html
    assert "reporting/charts.css" in html


def test_a_range_of_years(client, demo_data):
    response = _page(
        client,
        demo_data.users["pruefung"],
        fiscal_year=_year(2017).pk,
        fiscal_year_to=demo_data.year_now.pk,
    )
    assert response.status_code == 200
    assert response.context["years"] == [_year(2017), demo_data.year_now]
    assert f"Haushaltsjahre 2017 bis {demo_data.year_now.year}" in response.content.decode()


def _errors(response):
    assert response.status_code == 200
    assert "stats" not in response.context
    assert "Bitte korrigieren Sie die markierten Felder" in response.content.decode()
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_bad_input_gets_german_messages(client, demo_data):
    office = demo_data.users["projektbuero"]
    year = _year(2017).pk
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert _errors(_page(client, office, fiscal_year=year, as_of=tomorrow.isoformat())) == {
        "as_of": ["Das Datum liegt in der Zukunft: Wählen Sie heute oder einen früheren Tag."]
    }
    assert _errors(_page(client, office, fiscal_year=year, as_of="2016-12-31")) == {
        "as_of": ["Das Datum liegt vor dem Haushaltsjahr 2017 (ab 01.01.2017)."]
    }
    assert _errors(_page(client, office, fiscal_year=year, as_of="gestern")) == {
        "as_of": [
            "Bitte geben Sie ein gültiges Datum ein, z. B. 08.06.2017 "
            "(in der Schnittstelle 2017-06-08)."
        ]
    }
    message = "Dieses Haushaltsjahr gibt es nicht. Bitte wählen Sie eines aus der Liste."
    assert _errors(_page(client, office, fiscal_year=999_999)) == {"fiscal_year": [message]}
    assert _errors(_page(client, office, fiscal_year="abc")) == {"fiscal_year": [message]}
    assert _errors(
        _page(client, office, fiscal_year=demo_data.year_now.pk, fiscal_year_to=year)
    ) == {"fiscal_year_to": ["Das letzte Jahr des Zeitraums liegt vor dem ersten."]}


def test_german_dates_are_understood(client, demo_data):
    response = _page(
        client, demo_data.users["projektbuero"], fiscal_year=_year(2017).pk, as_of="08.06.2017"
    )
    assert response.context["stats"].approved_count == 15
