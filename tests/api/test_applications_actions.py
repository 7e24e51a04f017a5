import datetime

import pytest
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from tests.factories import ApplicationFactory


def url(application, action=""):
    return f"/api/v1/applications/{application.pk}/{action}"


def test_submit_assigns_the_first_reference_of_the_year(api, provider, draft):
    response = api(provider).post(url(draft, "submit/"))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "submitted"
    assert body["reference"] == f"VF-{draft.fiscal_year.year}-0001"
    assert body["requested_amount"] == "1134.56"
    submitted_at = datetime.datetime.fromisoformat(body["submitted_at"])
    assert submitted_at.utcoffset() is not None
    assert Application.objects.get(pk=draft.pk).state == State.SUBMITTED


def test_submit_incomplete_lists_what_is_missing(api, provider, organisation):
    draft = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        declares_not_otherwise_financeable=False,
        declares_not_started=False,
        start_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    audit_before = AuditEntry.objects.count()

    response = api(provider).post(url(draft, "submit/"))

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"declarations", "start_date"}
    assert set(body["declarations"]) == {"not_otherwise_financeable", "not_started"}
    assert body["start_date"][0]
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert draft.reference is None
    assert draft.submitted_at is None
    assert AuditEntry.objects.count() == audit_before


def test_submit_twice_is_a_409(api, provider, submitted):
    response = api(provider).post(url(submitted, "submit/"))

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "code"}


def test_staff_cannot_submit(api, office, submitted):
    response = api(office).post(url(submitted, "submit/"))

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"


def test_withdraw_with_a_reason_then_again_is_a_409(api, provider, submitted):
    client = api(provider)

    first = client.post(url(submitted, "withdraw/"), {"reason": "Kein Personal."}, format="json")
    second = client.post(url(submitted, "withdraw/"))

    assert first.status_code == 200
    assert first.json()["state"] == "withdrawn"
    entry = AuditEntry.objects.for_object(submitted).latest("id")
    assert entry.action == "application.withdrawn"
    assert entry.data["reason"] == "Kein Personal."
    assert second.status_code == 409
    assert second.json()["code"] == "transition_not_allowed"
    assert Application.objects.get(pk=submitted.pk).state == State.WITHDRAWN


def test_withdraw_without_a_body(api, provider, submitted):
    response = api(provider).post(url(submitted, "withdraw/"))

    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"


def test_a_draft_cannot_be_withdrawn(api, provider, draft):
    response = api(provider).post(url(draft, "withdraw/"))

    assert response.status_code == 409
    assert Application.objects.get(pk=draft.pk).state == State.DRAFT


def test_staff_cannot_withdraw(api, office, submitted):
    response = api(office).post(url(submitted, "withdraw/"))

    assert response.status_code == 403
    assert Application.objects.get(pk=submitted.pk).state == State.SUBMITTED


def test_history_lists_the_audit_entries(api, provider, payload):
    client = api(provider)
    created = client.post("/api/v1/applications/", payload, format="json").json()
    client.patch(f"/api/v1/applications/{created['id']}/", {"title": "Neu"}, format="json")
    client.post(f"/api/v1/applications/{created['id']}/submit/")

    response = client.get(f"/api/v1/applications/{created['id']}/history/")

    assert response.status_code == 200
    entries = response.json()["results"]
    assert [entry["action"] for entry in entries] == [
        "application.created",
        "application.updated",
        "application.submitted",
    ]
    assert {entry["actor"] for entry in entries} == {provider.username}
    assert entries[1]["data"] == {"fields": ["title"]}
    assert entries[2]["data"]["reference"].startswith("VF-")
    assert set(entries[0]) == {"at", "actor", "action", "label", "data"}
    assert datetime.datetime.fromisoformat(entries[0]["at"]).utcoffset() is not None


def test_staff_read_the_history_of_a_submitted_application(api, office, submitted):
    response = api(office).get(url(submitted, "history/"))

    assert response.status_code == 200
    assert [e["action"] for e in response.json()["results"]] == ["application.submitted"]


@pytest.mark.parametrize("action", ["submit/", "withdraw/"])
def test_actions_answer_only_post(api, provider, draft, action):
    assert api(provider).get(url(draft, action)).status_code == 405
