import pytest

from fund_manager.funds.models import FiscalYear
from tests.factories import (
    ActionFieldFactory,
    FiscalYearFactory,
    FundFactory,
    TargetGroupFactory,
    funded_year,
    user_with_role,
)


@pytest.fixture
def two_funds(db):
    integration = FundFactory(code="integration", name="Verfügungsfonds Integration")
    culture = FundFactory(code="kultur", name="Kulturfonds")
    ActionFieldFactory(fund=integration, code="sprache", name="Sprache")
    ActionFieldFactory(fund=culture, code="theater", name="Theater")
    TargetGroupFactory(fund=integration, code="familien", name="Familien")
    TargetGroupFactory(fund=culture, code="jugend", name="Jugendliche")
    return integration, culture


def test_funds(api, provider, two_funds):
    response = api(provider).get("/api/v1/funds/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {"code": "kultur", "name": "Kulturfonds"} in body["results"]
    assert set(body["results"][0]) == {"code", "name"}


@pytest.mark.parametrize(
    ("url", "integration_code", "culture_code"),
    [
        ("/api/v1/action-fields/", "sprache", "theater"),
        ("/api/v1/target-groups/", "familien", "jugend"),
    ],
)
def test_action_fields_and_target_groups_filtered_by_fund(
    api, provider, two_funds, url, integration_code, culture_code
):
    client = api(provider)

    everything = client.get(url).json()["results"]
    culture = client.get(url, {"fund": "kultur"}).json()["results"]

    assert {entry["code"] for entry in everything} == {integration_code, culture_code}
    assert [entry["code"] for entry in culture] == [culture_code]
    assert {"code", "name"} <= set(culture[0])
    assert culture[0]["fund"] == "kultur"


def test_fiscal_years(api, two_funds):
    integration, culture = two_funds
    finance = user_with_role("finance")
    year = funded_year(fund=integration, year=2031, finance=finance)
    FiscalYearFactory(fund=culture, year=2031, state=FiscalYear.State.CLOSED)

    response = api(finance).get("/api/v1/fiscal-years/", {"fund": "integration"})

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": year.pk, "fund": "integration", "year": 2031, "budget": "200000.00", "state": "open"}
    ]
    detail = api(finance).get(f"/api/v1/fiscal-years/{year.pk}/")
    assert detail.json()["budget"] == "200000.00"


def test_any_authenticated_user_reads_reference_data(api, two_funds):
    nobody = user_with_role("auditor")

    assert api(nobody).get("/api/v1/funds/").status_code == 200


def test_reference_data_is_read_only(api, provider, two_funds):
    response = api(provider).post("/api/v1/funds/", {"code": "x", "name": "X"}, format="json")

    assert response.status_code == 405


def test_inactive_entries_can_be_filtered_out(api, provider, two_funds):
    integration, _culture = two_funds
    ActionFieldFactory(fund=integration, code="alt", active=False)
    client = api(provider)

    active = client.get("/api/v1/action-fields/", {"fund": "integration", "active": "true"})
    inactive = client.get("/api/v1/action-fields/", {"fund": "integration", "active": "false"})

    assert [entry["code"] for entry in active.json()["results"]] == ["sprache"]
    assert [entry["code"] for entry in inactive.json()["results"]] == ["alt"]
