"""Every endpoint that takes an action field code works with every action field of the demo data.

The demo's codes have hyphens and its names spaces and slashes ("Kinder/Jugendliche und deren
Familien"): issue 9, defect 1 was a slug check run on the looked-up field's name.
"""

from decimal import Decimal

import pytest

from fund_manager.applications.models import Application
from fund_manager.demo.data import ACTION_FIELDS, TARGET_GROUPS
from fund_manager.funds.models import ActionField, TargetGroup
from fund_manager.ledger.models import Account, AccountKind, Transfer
from tests.conftest import module_data
from tests.factories import ApplicationFactory, FiscalYearFactory, funded_year, user_with_role

CODES = [code for code, _name in ACTION_FIELDS]
NAMES = dict(ACTION_FIELDS)
# Every demo field once as the source and once as the target of a reallocation.
PAIRS = list(zip(CODES, CODES[1:] + CODES[:1], strict=True))


@module_data
def demo_setup():
    """The demo's six action fields and three target groups, with its codes and names; year
    2031 with a budget of 200000.00 and 1000.00 allocated to each demo field. Built once for
    the module."""
    fund = FiscalYearFactory().fund
    fields = {
        code: ActionField.objects.create(fund=fund, code=code, name=name, position=position)
        for position, (code, name) in enumerate(ACTION_FIELDS)
    }
    for position, (code, name) in enumerate(TARGET_GROUPS):
        TargetGroup.objects.create(fund=fund, code=code, name=name, position=position)
    year = funded_year(
        finance=user_with_role("finance"),
        year=2031,
        allocations=dict.fromkeys(fields.values(), "1000.00"),
    )
    return {"fields": fields, "year": year}


@pytest.fixture
def demo_fields(demo_setup):
    """The demo's six action fields (by code); its three target groups exist too."""
    return demo_setup["fields"]


@pytest.fixture
def demo_year(demo_setup):
    """Budget 200000.00, 1000.00 allocated to each demo field."""
    return demo_setup["year"]


def _post(client, url, body, key):
    return client.post(url, body, format="json", headers={"Idempotency-Key": key})


def _available(year, code):
    return Account.objects.get(
        fiscal_year=year, kind=AccountKind.AVAILABLE, action_field__code=code
    ).balance


def test_the_demo_names_are_not_slugs():
    """The point of this file: at least one name that a slug check would refuse."""
    assert any(" " in name or "/" in name for name in NAMES.values())


@pytest.mark.parametrize("code", CODES)
def test_defect_01_finance_allocates_to_every_demo_action_field(api, finance, demo_year, code):
    before = Transfer.objects.count()

    response = _post(
        api(finance),
        f"/api/v1/fiscal-years/{demo_year.pk}/allocations/",
        {"action_field": code, "amount": "0.01"},
        f"alloc-{code}",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["amount"]) == ("allocation", "0.01")
    assert body["target"]["action_field"] == code
    assert Transfer.objects.count() == before + 1
    assert _available(demo_year, code) == Decimal("1000.01")


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_defect_01_finance_reallocates_between_demo_action_fields(
    api, finance, demo_year, source, target
):
    response = _post(
        api(finance),
        f"/api/v1/fiscal-years/{demo_year.pk}/reallocations/",
        {
            "from_action_field": source,
            "to_action_field": target,
            "amount": "0.01",
            "reason": "Umschichtung",
        },
        f"move-{source}",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["source"]["action_field"], body["target"]["action_field"]) == (source, target)
    assert _available(demo_year, source) == Decimal("999.99")
    assert _available(demo_year, target) == Decimal("1000.01")


def test_defect_01_balances_name_every_demo_action_field(api, finance, demo_year):
    rows = api(finance).get(f"/api/v1/fiscal-years/{demo_year.pk}/balances/").json()

    assert [(row["code"], row["name"]) for row in rows["action_fields"]] == ACTION_FIELDS
    assert {row["available"] for row in rows["action_fields"]} == {"1000.00"}


def test_defect_01_the_journal_names_every_demo_action_field(api, finance, demo_year):
    results = api(finance).get(f"/api/v1/fiscal-years/{demo_year.pk}/transfers/").json()

    allocated = [
        t["target"]["action_field"] for t in results["results"] if t["kind"] == "allocation"
    ]
    assert sorted(allocated) == sorted(CODES)


def test_defect_01_reference_list_shows_every_demo_action_field(api, finance, demo_fields):
    body = api(finance).get("/api/v1/action-fields/", {"fund": "integration"}).json()

    assert [(row["code"], row["name"]) for row in body["results"]] == ACTION_FIELDS


@pytest.mark.parametrize("code", CODES)
def test_defect_01_an_application_takes_every_demo_action_field(
    api, provider, organisation, demo_fields, code
):
    client = api(provider)

    created = client.post(
        "/api/v1/applications/",
        {"title": "Sprachcafé", "action_field": code, "target_groups": [TARGET_GROUPS[0][0]]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    other = CODES[(CODES.index(code) + 1) % len(CODES)]
    changed = client.patch(
        f"/api/v1/applications/{created.json()['id']}/", {"action_field": other}, format="json"
    )

    assert created.json()["action_field"] == code
    assert changed.status_code == 200, changed.json()
    assert changed.json()["action_field"] == other
    assert Application.objects.get(pk=created.json()["id"]).action_field.code == other


@pytest.mark.parametrize("code", CODES)
def test_defect_01_applications_filter_by_every_demo_action_field(
    api, provider, organisation, demo_fields, code
):
    mine = {
        field_code: ApplicationFactory(
            organisation=organisation,
            fiscal_year=FiscalYearFactory(fund=field.fund),
            action_field=field,
        )
        for field_code, field in demo_fields.items()
    }

    response = api(provider).get("/api/v1/applications/", {"action_field": code})

    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [mine[code].pk]
