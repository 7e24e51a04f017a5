import datetime
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from fund_manager.applications import services
from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from tests.factories import OrganisationFactory, TargetGroupFactory


def url(application):
    return f"/api/v1/applications/{application.pk}/"


def snapshot(application):
    """Everything a refused request must leave as it was."""
    application = Application.objects.get(pk=application.pk)
    return (
        model_to_dict(application, exclude=["target_groups"]),
        application.state,
        application.requested_amount,
        application.updated_at,
        sorted(application.target_groups.values_list("pk", flat=True)),
        list(application.cost_items.values_list("category", "description", "amount")),
        AuditEntry.objects.for_object(application).count(),
    )


@pytest.fixture
def changes_requested(submitted, office):
    services.start_review(application=submitted, by=office)
    return services.request_changes(application=submitted, by=office, note="Bitte Kosten belegen.")


def test_patch_changes_only_what_is_sent(api, provider, draft):
    before = Application.objects.get(pk=draft.pk)

    response = api(provider).patch(
        url(draft), {"title": "Neuer Titel", "own_funds": "34.56"}, format="json"
    )

    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.title == "Neuer Titel"
    assert draft.own_funds == Decimal("34.56")
    assert draft.summary == before.summary
    assert draft.cost_items.count() == 2
    # 1000.00 + 234.56 - 34.56
    assert response.json()["requested_amount"] == "1200.00"
    entry = AuditEntry.objects.for_object(draft).latest("id")
    assert entry.action == "application.updated"
    assert entry.data == {"fields": ["own_funds", "title"]}


def test_patch_replaces_cost_items_and_target_groups(api, provider, draft):
    group = TargetGroupFactory(fund=draft.fund, code="senioren")

    response = api(provider).patch(
        url(draft),
        {
            "cost_items": [{"category": "travel", "description": "Fahrten", "amount": "50.00"}],
            "target_groups": ["senioren"],
            "declarations": {"sustainable": False},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["cost_items"] == [
        {"category": "travel", "description": "Fahrten", "amount": "50.00"}
    ]
    assert body["target_groups"] == ["senioren"]
    assert body["requested_amount"] == "-50.00"  # 50.00 - 100.00 own funds: fixed before submit
    assert body["declarations"]["sustainable"] is False
    assert body["declarations"]["not_started"] is True  # untouched
    assert list(draft.target_groups.all()) == [group]


def _end_before_existing_start(application):
    return {"end_date": (application.start_date - datetime.timedelta(days=1)).isoformat()}


BAD_PATCHES = [
    pytest.param({"state": "submitted"}, "state", id="state"),
    pytest.param({"state": "approved", "title": "X"}, "state", id="state-with-valid-field"),
    pytest.param(lambda a: {"organisation": OrganisationFactory().pk}, "organisation", id="org"),
    pytest.param(lambda a: {"organisation": a.organisation_id}, "organisation", id="same-org"),
    pytest.param({"fund": "kultur"}, "fund", id="fund"),
    pytest.param(lambda a: {"fiscal_year": a.fiscal_year_id}, "fiscal_year", id="fiscal-year"),
    pytest.param({"reference": "VF-2000-0001"}, "reference", id="reference"),
    pytest.param({"requested_amount": "1.00"}, "requested_amount", id="requested"),
    pytest.param({"submitted_at": "2030-01-01T00:00:00Z"}, "submitted_at", id="submitted-at"),
    pytest.param({"own_funds": "-1.00"}, "own_funds", id="negative"),
    pytest.param({"own_funds": 12.5}, "own_funds", id="float"),
    pytest.param({"own_funds": "12,50"}, "own_funds", id="comma"),
    pytest.param({"own_funds": "12.505"}, "own_funds", id="three-decimals"),
    pytest.param({"own_funds": "zwölf"}, "own_funds", id="letters"),
    pytest.param(
        {"cost_items": [{"category": "rent", "description": "Miete", "amount": "0.00"}]},
        "cost_items",
        id="zero-cost-item",
    ),
    pytest.param(_end_before_existing_start, "end_date", id="end-before-existing-start"),
    pytest.param({"action_field": "gibt-es-nicht"}, "action_field", id="unknown-action-field"),
    pytest.param({"target_groups": ["gibt-es-nicht"]}, "target_groups", id="unknown-group"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PATCHES)
def test_bad_patch_is_a_400_field_error_and_changes_nothing(api, provider, draft, body, field):
    body = body(draft) if callable(body) else body
    before = snapshot(draft)

    response = api(provider).patch(url(draft), body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot(draft) == before


def test_provider_cannot_edit_a_submitted_application(api, provider, submitted):
    before = snapshot(submitted)

    response = api(provider).patch(url(submitted), {"title": "Nachträglich"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"
    assert response.json()["detail"]
    assert snapshot(submitted) == before


def test_provider_edits_after_changes_were_requested(api, provider, changes_requested):
    response = api(provider).patch(
        url(changes_requested), {"summary": "Mit Belegen."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["summary"] == "Mit Belegen."


def test_staff_cannot_edit(api, office, submitted):
    before = snapshot(submitted)

    response = api(office).patch(url(submitted), {"title": "Vom Büro"}, format="json")

    assert response.status_code == 403
    assert snapshot(submitted) == before


def test_put_is_not_offered(api, provider, draft):
    assert api(provider).put(url(draft), {"title": "X"}, format="json").status_code == 405


# --- DELETE -----------------------------------------------------------------------------------
def test_delete_a_draft(api, provider, draft):
    response = api(provider).delete(url(draft))

    assert response.status_code == 204
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_delete_in_changes_requested_withdraws(api, provider, changes_requested):
    response = api(provider).delete(url(changes_requested))

    assert response.status_code == 204
    changes_requested.refresh_from_db()
    assert changes_requested.state == State.WITHDRAWN
    last = AuditEntry.objects.for_object(changes_requested).latest("id")
    assert last.action == "application.withdrawn"


def test_delete_a_submitted_application_is_a_409(api, provider, submitted):
    before = snapshot(submitted)

    response = api(provider).delete(url(submitted))

    assert response.status_code == 409
    assert response.json()["code"] == "not_a_draft"
    assert snapshot(submitted) == before


def test_staff_cannot_delete(api, office, submitted):
    response = api(office).delete(url(submitted))

    assert response.status_code == 403
    assert Application.objects.get(pk=submitted.pk).state == State.SUBMITTED


def test_null_clears_the_action_field_of_a_draft(api, provider, draft):
    response = api(provider).patch(url(draft), {"action_field": None}, format="json")

    assert response.status_code == 200
    assert response.json()["action_field"] is None
    draft.refresh_from_db()
    assert draft.action_field is None


def test_refused_fields_and_bad_values_are_reported_together(api, provider, draft):
    response = api(provider).patch(
        url(draft), {"state": "approved", "own_funds": 1.5}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"state", "own_funds"}


# --- defects 7, 8, 10, 11 through PATCH ---------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"start_date": "9999-12-01"}, "start_date", id="defect-07-start"),
        pytest.param({"end_date": "0001-01-01"}, "end_date", id="defect-07-end"),
        pytest.param({"title": "Titel\u0001\u0002"}, "title", id="defect-08-title"),
        pytest.param({"summary": "Zeile\u0000"}, "summary", id="defect-08-summary"),
        pytest.param({"own_funds": "１２３.００"}, "own_funds", id="defect-10-full-width"),
        pytest.param({"summary": "x" * 100_000}, "summary", id="defect-11-summary"),
        pytest.param({"approach": "x" * 5001}, "approach", id="defect-11-approach"),
    ],
)
def test_defect_07_08_10_11_bad_patch_changes_nothing(api, provider, draft, body, field):
    before = snapshot(draft)

    response = api(provider).patch(url(draft), body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot(draft) == before


def test_defect_07_a_stored_date_outside_the_window_does_not_block_other_changes(
    api, provider, draft
):
    # Stored before the window existed: changing the title still works, the date stays.
    Application.objects.filter(pk=draft.pk).update(
        start_date=datetime.date(9999, 12, 1), end_date=datetime.date(9999, 12, 31)
    )

    response = api(provider).patch(url(draft), {"title": "Neuer Titel"}, format="json")

    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.title == "Neuer Titel"
    assert draft.start_date == datetime.date(9999, 12, 1)
    # The eligibility check answers (defect 7: it was a 500).
    eligibility = api(provider).get(f"{url(draft)}eligibility/")
    assert eligibility.status_code == 200
    findings = {f["rule"]: f for f in eligibility.json()["findings"]}
    assert findings["end_date_limit"]["outcome"] == "fail"
