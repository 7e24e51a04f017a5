import copy
import datetime

import pytest
from django.utils import timezone

from fund_manager.applications.models import Application, CostItem
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from tests.factories import (
    ActionFieldFactory,
    FiscalYearFactory,
    FundFactory,
    OrganisationFactory,
    provider_user,
)
from tests.factories import (
    TargetGroupFactory as _TargetGroupFactory,
)

URL = "/api/v1/applications/"


def test_create_derives_the_requested_amount(api, provider, organisation, fiscal_year, payload):
    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requested_amount"] == "1400.50"
    assert body["total_costs"] == "1500.50"
    assert body["own_funds"] == "100.00"
    assert body["third_party_funds"] == "0.00"
    assert body["state"] == "draft"
    assert body["reference"] is None
    assert body["round"] is None
    assert body["approved_amount"] is None
    assert body["submitted_at"] is None
    assert body["organisation"] == organisation.pk
    assert body["fund"] == "integration"
    assert body["fiscal_year"] == fiscal_year.pk
    assert body["action_field"] == "sprache"
    assert body["target_groups"] == ["familien"]
    assert body["cost_items"] == payload["cost_items"]
    assert body["declarations"] == payload["declarations"]
    application = Application.objects.get(pk=body["id"])
    assert application.requested_amount == application.total_costs - application.own_funds
    assert str(application.requested_amount) == "1400.50"
    assert application.created_by == provider
    assert AuditEntry.objects.for_object(application).get().action == "application.created"


def test_a_minimal_draft_needs_only_a_title(api, provider, fiscal_year):
    response = api(provider).post(URL, {"title": "Erste Idee"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requested_amount"] == "0.00"
    assert body["cost_items"] == []
    assert body["declarations"] == {
        "not_otherwise_financeable": False,
        "not_started": False,
        "new_approach": False,
        "sustainable": False,
    }


def _set(path, value):
    def mutate(payload):
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _end_before_start(payload):
    payload["end_date"] = (
        datetime.date.fromisoformat(payload["start_date"]) - datetime.timedelta(days=1)
    ).isoformat()


BAD_INPUT = [
    pytest.param(_set(["cost_items", 0, "amount"], "-5.00"), "cost_items", id="negative-cost"),
    pytest.param(_set(["own_funds"], "-1.00"), "own_funds", id="negative-own-funds"),
    pytest.param(_set(["third_party_funds"], "-0.01"), "third_party_funds", id="negative-3rd"),
    pytest.param(_set(["cost_items", 0, "amount"], "0.00"), "cost_items", id="zero-cost-item"),
    pytest.param(_set(["cost_items", 0, "amount"], "12.345"), "cost_items", id="three-decimals"),
    pytest.param(_set(["own_funds"], "1.005"), "own_funds", id="three-decimals-own"),
    pytest.param(_set(["cost_items", 0, "amount"], "zwölf"), "cost_items", id="letters"),
    pytest.param(_set(["cost_items", 0, "amount"], 1200.5), "cost_items", id="float"),
    pytest.param(_set(["own_funds"], 100), "own_funds", id="integer-number"),
    pytest.param(_set(["cost_items", 0, "amount"], "1200,00"), "cost_items", id="comma"),
    pytest.param(_set(["own_funds"], "1.000,00"), "own_funds", id="german-grouping"),
    pytest.param(_end_before_start, "end_date", id="end-before-start"),
    pytest.param(_set(["action_field"], "gibt-es-nicht"), "action_field", id="unknown-field"),
    pytest.param(_set(["target_groups"], ["gibt-es-nicht"]), "target_groups", id="unknown-group"),
    pytest.param(_set(["cost_items", 0, "category"], "bier"), "cost_items", id="bad-category"),
    pytest.param(_set(["cost_items", 0, "description"], ""), "cost_items", id="no-description"),
    pytest.param(_set(["title"], ""), "title", id="blank-title"),
    pytest.param(_set(["start_date"], "01.09.2030"), "start_date", id="german-date"),
    pytest.param(_set(["state"], "approved"), "state", id="state"),
    pytest.param(_set(["requested_amount"], "99999.00"), "requested_amount", id="requested"),
    pytest.param(_set(["reference"], "VF-2000-0001"), "reference", id="reference"),
    pytest.param(_set(["approved_amount"], "1.00"), "approved_amount", id="approved"),
    pytest.param(_set(["declarations"], None), "declarations", id="declarations-null"),
]


@pytest.mark.parametrize(("mutate", "field"), BAD_INPUT)
def test_bad_input_is_a_400_field_error_and_creates_nothing(
    api, provider, fiscal_year, payload, mutate, field
):
    body = copy.deepcopy(payload)
    mutate(body)

    response = api(provider).post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Application.objects.count() == 0
    assert CostItem.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_code_of_another_fund_is_unknown(api, provider, fiscal_year, payload):
    other = FundFactory(code="kultur", name="Kulturfonds")
    ActionFieldFactory(fund=other, code="theater")
    _TargetGroupFactory(fund=other, code="jugend")
    payload.update(fund="integration", action_field="theater", target_groups=["familien", "jugend"])

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"action_field", "target_groups"}
    assert Application.objects.count() == 0


def test_inactive_reference_entries_cannot_be_chosen(api, provider, payload, action_field):
    action_field.active = False
    action_field.save()

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert "action_field" in response.json()


# --- organisation -----------------------------------------------------------------------------
def test_organisation_must_be_one_of_the_callers(api, provider, fiscal_year, payload):
    foreign = OrganisationFactory()
    payload["organisation"] = foreign.pk

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert "organisation" in response.json()
    assert Application.objects.count() == 0


def test_member_of_several_organisations_must_choose(api, fiscal_year, payload):
    first, second = OrganisationFactory(), OrganisationFactory()
    user = provider_user(first)
    provider_user(second, username=user.username)  # the same user, second membership

    missing = api(user).post(URL, payload, format="json")
    chosen = api(user).post(URL, {**payload, "organisation": second.pk}, format="json")

    assert missing.status_code == 400
    assert "organisation" in missing.json()
    assert chosen.status_code == 201
    assert chosen.json()["organisation"] == second.pk


def test_staff_may_not_create(api, office, fiscal_year, payload):
    response = api(office).post(URL, payload, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert Application.objects.count() == 0


# --- fiscal year ------------------------------------------------------------------------------
def test_fiscal_year_defaults_to_the_current_open_year(api, provider, payload):
    this_year = timezone.localdate().year
    fund = FundFactory()
    FiscalYearFactory(fund=fund, year=this_year + 1)
    current = FiscalYearFactory(fund=fund, year=this_year)

    response = api(provider).post(URL, payload, format="json")

    assert response.json()["fiscal_year"] == current.pk


def test_fiscal_year_falls_back_to_the_newest_open_one(api, provider, payload):
    this_year = timezone.localdate().year
    fund = FundFactory()
    FiscalYear.objects.filter(fund=fund).update(state=FiscalYear.State.CLOSED)
    FiscalYearFactory(fund=fund, year=this_year + 1)
    newest = FiscalYearFactory(fund=fund, year=this_year + 2)

    response = api(provider).post(URL, payload, format="json")

    assert response.json()["fiscal_year"] == newest.pk


def test_fiscal_year_may_be_given(api, provider, payload):
    fund = FundFactory()
    chosen = FiscalYearFactory(fund=fund, year=timezone.localdate().year + 1)

    response = api(provider).post(URL, {**payload, "fiscal_year": chosen.pk}, format="json")

    assert response.json()["fiscal_year"] == chosen.pk


def test_a_closed_fiscal_year_is_a_409(api, provider, payload, fiscal_year):
    fiscal_year.state = FiscalYear.State.CLOSED
    fiscal_year.save()

    response = api(provider).post(URL, {**payload, "fiscal_year": fiscal_year.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"]
    assert Application.objects.count() == 0


def test_no_open_fiscal_year_is_a_field_error(api, provider, payload, fiscal_year):
    fiscal_year.state = FiscalYear.State.CLOSED
    fiscal_year.save()

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert "fiscal_year" in response.json()


def test_with_several_funds_the_fund_is_needed(api, provider, payload, fiscal_year):
    FiscalYearFactory(fund=FundFactory(code="kultur", name="Kulturfonds"))

    missing = api(provider).post(URL, payload, format="json")
    given = api(provider).post(URL, {**payload, "fund": "integration"}, format="json")
    mismatch = api(provider).post(
        URL, {**payload, "fund": "kultur", "fiscal_year": fiscal_year.pk}, format="json"
    )

    assert missing.status_code == 400
    assert "fund" in missing.json()
    assert given.status_code == 201
    assert given.json()["fiscal_year"] == fiscal_year.pk
    assert mismatch.status_code == 400
    assert "fiscal_year" in mismatch.json()


@pytest.mark.parametrize("body", [[], "text", [{"title": "X"}]])
def test_a_body_that_is_not_an_object_is_a_400(api, provider, fiscal_year, body):
    response = api(provider).post(URL, body, format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert Application.objects.count() == 0


# --- defects 7, 8, 10, 11: bad input is a clear 400 and nothing is saved ----------------------
def _nothing_saved():
    assert Application.objects.count() == 0
    assert CostItem.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_defect_07_a_date_outside_the_window_is_a_400(api, provider, fiscal_year, payload, field):
    payload["start_date"] = "9999-12-01"
    payload["end_date"] = "9999-12-31"
    if field == "end_date":
        payload["start_date"] = timezone.localdate().isoformat()

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    (message,) = response.json()[field]
    assert message == (
        f"Bitte geben Sie ein Datum zwischen dem 01.01.{fiscal_year.year - 1} und dem "
        f"31.12.{fiscal_year.year + 2} ein: Projekte des Haushaltsjahres {fiscal_year.year} "
        "finden in diesem Zeitraum statt."
    )
    _nothing_saved()


def test_defect_07_the_edges_of_the_window_are_accepted(api, provider, fiscal_year, payload):
    payload["start_date"] = f"{fiscal_year.year - 1}-01-01"
    payload["end_date"] = f"{fiscal_year.year + 2}-12-31"

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 201, response.json()
    application = Application.objects.get()
    assert application.end_date == datetime.date(fiscal_year.year + 2, 12, 31)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["title"], "Sprachcafé\u0001\u0002"),
        (["title"], "Sprachcafé\nfür alle"),
        (["title"], "Sprach\tcafé"),
        (["location"], "Herne\u0000"),
        (["third_party_funds_source"], "Stiftung\u001b"),
        (["summary"], "Wöchentlich\u0007"),
        (["approach"], "Neu\u000bAnsatz"),
        (["cost_items", 0, "description"], "Honorare\u0001"),
    ],
)
def test_defect_08_control_characters_are_a_400(api, provider, fiscal_year, payload, path, value):
    _set(path, value)(payload)

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert path[0] in response.json(), response.json()
    assert "Steuerzeichen" in str(response.json()[path[0]])
    _nothing_saved()


def test_defect_08_multi_line_texts_keep_tabs_and_line_breaks(api, provider, fiscal_year, payload):
    payload["summary"] = "Erstens:\n\tSprachcafé\r\nZweitens: Ausflüge"
    payload["approach"] = "Neu.\nNachhaltig."

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 201, response.json()
    application = Application.objects.get()
    assert application.summary == "Erstens:\n\tSprachcafé\r\nZweitens: Ausflüge"
    assert application.approach == "Neu.\nNachhaltig."


@pytest.mark.parametrize("amount", ["١٢٣.٤٥", "１２３.００", "1２3.00"])
def test_defect_10_non_ascii_digits_are_a_400(api, provider, fiscal_year, payload, amount):
    payload["own_funds"] = amount

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert "own_funds" in response.json()
    _nothing_saved()


@pytest.mark.parametrize(
    "field", ["title", "summary", "approach", "location", "third_party_funds_source"]
)
def test_defect_11_every_text_has_the_models_maximum(api, provider, fiscal_year, payload, field):
    limit = Application._meta.get_field(field).max_length
    payload[field] = "x" * (limit + 1)

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    _nothing_saved()

    payload[field] = "x" * limit
    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 201, response.json()
    assert getattr(Application.objects.get(), field) == "x" * limit


def test_defect_11_a_summary_of_100000_characters_is_refused(api, provider, fiscal_year, payload):
    payload["summary"] = "x" * 100_000
    payload["approach"] = "y" * 100_000

    response = api(provider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"summary", "approach"}
    assert "5000" in response.json()["summary"][0]
    _nothing_saved()
