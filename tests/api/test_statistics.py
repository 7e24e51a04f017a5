"""GET /api/v1/statistics/ (issue 13; docs/api.md, "Statistics"): the demo's figures as of
2017-06-08, money as strings, who may read them, and 400 with German messages for bad
parameters."""

import datetime

import pytest
from django.utils import timezone

from fund_manager.funds.models import FiscalYear
from tests.factories import FiscalYearFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/statistics/"


def _year(number):
    return FiscalYear.objects.get(year=number)


def test_demo_as_of_2017_06_08(api, demo_data):
    response = api(demo_data.users["kaemmerei"]).get(
        URL, {"fiscal_year": _year(2017).pk, "as_of": "2017-06-08"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2017-06-08"
    assert body["fiscal_years"] == [
        {"id": _year(2017).pk, "year": 2017, "fund": demo_data.fund.code}
    ]
    assert body["approved_count"] == 15
    assert body["approved_total"] == "52440.30"
    assert [
        (r["code"], r["approved_count"], r["approved_total"]) for r in body["by_action_field"]
    ] == [
        ("ankommen", 2, "10650.00"),
        ("kinder-jugend-familie", 4, "10790.00"),
        ("sprache-beruf", 4, "16140.30"),
        ("teilhabe", 2, "7380.00"),
        ("wohnen", 2, "4730.00"),
        ("netzwerk", 1, "2750.00"),
    ]
    assert set(body) >= {
        "received_count",
        "disbursed_total",
        "refunded_total",
        "open_commitments",
        "by_target_group",
        "by_organisation_kind",
        "by_round",
        "by_state",
        "budget",
        "budget_totals",
    }
    assert all(set(s) == {"code", "label", "count"} for s in body["by_state"])
    assert body["budget_totals"]["allocated"] == "200000.00"
    assert [r["name"] for r in body["by_round"]] == ["2017/1", "2017/2", "2017/3"]


def test_a_range_and_the_default_day(api, demo_data):
    response = api(demo_data.users["pruefung"]).get(
        URL, {"fiscal_year": _year(2017).pk, "fiscal_year_to": demo_data.year_now.pk}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == timezone.localdate().isoformat()
    assert [y["year"] for y in body["fiscal_years"]] == [2017, demo_data.year_now.year]


@pytest.mark.parametrize("username", ["projektbuero", "vorsitz", "lenkung1"])
def test_staff_read(api, demo_data, username):
    response = api(demo_data.users[username]).get(URL, {"fiscal_year": _year(2017).pk})
    assert response.status_code == 200


def test_applicants_are_refused(api, demo_data):
    response = api(demo_data.users["traeger"]).get(URL, {"fiscal_year": _year(2017).pk})
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert "approved_total" not in response.json()


def test_anonymous_is_refused(api, demo_data):
    response = api().get(URL, {"fiscal_year": _year(2017).pk})
    assert response.status_code == 401


def test_bad_parameters_are_400_in_german(api, demo_data):
    client = api(demo_data.users["kaemmerei"])
    year = _year(2017).pk
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    future = "Das Datum liegt in der Zukunft: Wählen Sie heute oder einen früheren Tag."
    unknown = "Dieses Haushaltsjahr gibt es nicht. Bitte wählen Sie eines aus der Liste."
    other_fund = FiscalYearFactory(year=2018)
    cases = [
        ({}, {"fiscal_year": ["Bitte wählen Sie ein Haushaltsjahr."]}),
        ({"fiscal_year": 999_999}, {"fiscal_year": [unknown]}),
        ({"fiscal_year": "zwei"}, {"fiscal_year": [unknown]}),
        (
            {"fiscal_year": year, "as_of": "2017-13-01"},
            {
                "as_of": [
                    "Bitte geben Sie ein gültiges Datum ein, z. B. 08.06.2017 "
                    "(in der Schnittstelle 2017-06-08)."
                ]
            },
        ),
        (
            {"fiscal_year": year, "as_of": tomorrow},
            {"as_of": [future]},
        ),
        (
            {"fiscal_year": year, "as_of": "2016-12-31"},
            {"as_of": ["Das Datum liegt vor dem Haushaltsjahr 2017 (ab 01.01.2017)."]},
        ),
        (
            {"fiscal_year": demo_data.year_now.pk, "fiscal_year_to": year},
            {"fiscal_year_to": ["Das letzte Jahr des Zeitraums liegt vor dem ersten."]},
        ),
        (
            {"fiscal_year": year, "fiscal_year_to": other_fund.pk},
            {"fiscal_year_to": ["Beide Haushaltsjahre müssen zum selben Fonds gehören."]},
        ),
        ({"fiscal_year": year, "fiscal_year_to": 999_999}, {"fiscal_year_to": [unknown]}),
    ]
    for params, errors in cases:
        response = client.get(URL, params)
        assert response.status_code == 400, params
        assert response.json() == errors, params
