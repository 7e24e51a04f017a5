"""The API of waiver and revocation (issue 9, defect 2): /applications/{id}/waiver/,
/applications/{id}/revocations/, /revocations/{id}/... Refusals in the documented order
(404, 403, 400, 409) and nothing changed by any of them."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import timezone

from fund_manager.applications.models import Revocation
from fund_manager.organisations.models import Membership
from policies.periods import add_months
from tests.factories import ApplicationFactory, force_state, provider_user, user_with_role
from tests.workflows.grant_helpers import (
    APPROVED,
    approved_application,
    assert_books_agree,
    recipient,
    snapshot,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def waiver_url(application):
    return f"/api/v1/applications/{application.pk}/waiver/"


def revocations_url(application):
    return f"/api/v1/applications/{application.pk}/revocations/"


def hearing_body(**changes):
    return {
        "ground": "condition",
        "facts": "Der Zwischenbericht wurde trotz Erinnerung nicht vorgelegt.",
        "facts_known_on": (TODAY - datetime.timedelta(days=5)).isoformat(),
        "intended_amount": "0.00",
        **changes,
    }


def test_defect_02_api_partial_waiver(api):
    application = approved_application()
    response = api(recipient(application)).post(
        waiver_url(application),
        {"scope": "partial", "amount": "134.56", "reason": "Geringere Kosten"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="verzicht-1",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "application": application.pk,
        "reference": application.reference,
        "state": "approved",
        "approved_amount_before": "1134.56",
        "approved_amount": "1000.00",
        "released": "134.56",
        "repeated": False,
    }
    assert response["Idempotency-Key"] == "verzicht-1"
    assert_books_agree(application, approved=D("1000.00"))
    detail = api(recipient(application)).get(f"/api/v1/applications/{application.pk}/").json()
    assert detail["approved_amount"] == "1000.00"
    history = api(recipient(application)).get(f"/api/v1/applications/{application.pk}/history/")
    last = history.json()["results"][-1]
    assert last["action"] == "application.partially_waived"
    # The same key again: the first answer, nothing waived twice.
    again = api(recipient(application)).post(
        waiver_url(application),
        {"scope": "partial", "amount": "134.56", "reason": "Geringere Kosten"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="verzicht-1",
    )
    assert again.status_code == 200
    assert again.json()["repeated"] is True
    assert_books_agree(application, approved=D("1000.00"))


def test_defect_02_api_full_waiver(api):
    application = approved_application()
    response = api(recipient(application)).post(
        waiver_url(application), {"scope": "full", "reason": "Projekt entfällt"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "waived"
    assert response.json()["approved_amount"] == "0.00"
    assert_books_agree(application, approved=D("0.00"))


@pytest.mark.parametrize(
    ("who", "body", "status", "expect"),
    [
        ("other_provider", {"scope": "full", "reason": "x"}, 404, "not_found"),
        ("office", {"scope": "full", "reason": "x"}, 403, "not_permitted"),
        ("recipient", {"scope": "partial", "amount": "1134.57", "reason": "x"}, 400, "amount"),
        ("recipient", {"scope": "partial", "amount": "0.00", "reason": "x"}, 400, "amount"),
        ("recipient", {"scope": "partial", "amount": "-5.00", "reason": "x"}, 400, "amount"),
        ("recipient", {"scope": "partial", "reason": "x"}, 400, "amount"),
        ("recipient", {"scope": "full", "amount": "5.00", "reason": "x"}, 400, "amount"),
        ("recipient", {"scope": "full"}, 400, "reason"),
        ("recipient", {"scope": "all", "reason": "x"}, 400, "scope"),
    ],
)
def test_defect_02_api_waiver_refusals(api, who, body, status, expect):
    application = approved_application()
    user = {
        "other_provider": provider_user,
        "office": lambda: user_with_role("project_office"),
        "recipient": lambda: recipient(application),
    }[who]()
    before = snapshot(application)
    response = api(user).post(waiver_url(application), body, format="json")
    assert response.status_code == status, response.json()
    if status == 400:
        assert expect in response.json()
    else:
        # (the 404 carries its code once defect 13's handler is in; it is the 404 that counts)
        assert response.json().get("code", "not_found") == expect
    assert snapshot(application) == before


def test_defect_02_api_waiver_of_a_rejected_application_is_a_409(api):
    application = ApplicationFactory()
    force_state(application, "rejected")
    response = api(recipient(application)).post(
        waiver_url(application), {"scope": "full", "reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_approved"


def test_defect_02_api_revocation_hearing_response_and_decision(api, office):
    application = approved_application()
    client = api(office)
    started = client.post(revocations_url(application), hearing_body(), format="json")
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["status"] == "hearing"
    assert body["response_due"] == (TODAY + datetime.timedelta(days=14)).isoformat()
    assert body["approved_before"] == "1134.56"
    assert body["time_limit"]["warning"] is False
    revocation_url = f"/api/v1/revocations/{body['id']}/"
    assert_books_agree(application, approved=APPROVED)

    # Before the deadline and without a response: 409, nothing decided.
    early = client.post(revocation_url + "decision/", {"reasons": "x"}, format="json")
    assert early.status_code == 409
    assert early.json()["code"] == "hearing_pending"
    assert_books_agree(application, approved=APPROVED)

    letter = client.get(revocation_url + "hearing-letter.pdf")
    assert letter.status_code == 200
    assert letter.content.startswith(b"%PDF-")
    assert client.get(revocation_url + "notice.pdf").status_code == 404

    answered = client.post(
        revocation_url + "response/",
        {"response": "Der Bericht folgt.", "received_on": TODAY.isoformat()},
        format="json",
    )
    assert answered.status_code == 200
    assert answered.json()["response"] == "Der Bericht folgt."

    decided = client.post(
        revocation_url + "decision/",
        {"decided_amount": "600.00", "reasons": "Teilweise nachgewiesen."},
        format="json",
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "decided"
    assert decided.json()["change"]["approved_amount"] == "600.00"
    assert decided.json()["change"]["released"] == "534.56"
    assert_books_agree(application, approved=D("600.00"))
    notice = client.get(revocation_url + "notice.pdf")
    assert notice.status_code == 200
    assert notice.content.startswith(b"%PDF-")
    # The recipient reads its proceedings and letters too.
    listed = api(recipient(application)).get(revocations_url(application))
    assert [r["id"] for r in listed.json()] == [body["id"]]
    assert api(recipient(application)).get(revocation_url).status_code == 200


@pytest.mark.parametrize("who", ["recipient", "finance", "office_of_recipient", "other_provider"])
def test_defect_02_api_only_the_office_of_another_organisation_revokes(api, office, who):
    application = approved_application()
    if who == "recipient":
        user = recipient(application)
    elif who == "office_of_recipient":
        user = user_with_role("project_office")
        Membership.objects.create(organisation=application.organisation, user=user)
    elif who == "other_provider":
        user = provider_user()
    else:
        user = user_with_role(who)
    expected = 404 if who == "other_provider" else 403
    before = snapshot(application)
    response = api(user).post(revocations_url(application), hearing_body(), format="json")
    assert response.status_code == expected
    assert snapshot(application) == before
    revocation_id = api(office).post(revocations_url(application), hearing_body()).json()["id"]
    before = snapshot(application)
    for action, body in (
        ("response/", {"response": "x", "received_on": TODAY.isoformat()}),
        ("decision/", {"reasons": "x"}),
        ("drop/", {"reason": "x"}),
    ):
        response = api(user).post(f"/api/v1/revocations/{revocation_id}/{action}", body)
        assert response.status_code == expected, action
    assert snapshot(application) == before


def test_defect_02_api_hearing_field_errors(api, office):
    application = approved_application()
    before = snapshot(application)
    response = api(office).post(
        revocations_url(application),
        hearing_body(
            intended_amount="1134.56",
            facts_known_on=(TODAY - datetime.timedelta(days=400)).isoformat(),
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "facts_known_on" in response.json()
    assert snapshot(application) == before
    response = api(office).post(
        revocations_url(application), hearing_body(intended_amount="1134.56"), format="json"
    )
    assert response.status_code == 400
    assert "intended_amount" in response.json()
    assert not Revocation.objects.exists()


def test_defect_02_api_drop(api, office):
    application = approved_application()
    revocation_id = api(office).post(revocations_url(application), hearing_body()).json()["id"]
    response = api(office).post(
        f"/api/v1/revocations/{revocation_id}/drop/", {"reason": "Bericht eingegangen."}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dropped"
    assert_books_agree(application, approved=APPROVED)
    again = api(office).post(f"/api/v1/revocations/{revocation_id}/drop/", {"reason": "x"})
    assert again.status_code == 409
    assert again.json()["code"] == "revocation_closed"


def test_defect_02_api_decision_after_the_one_year_limit_is_a_409(api, office):
    application = approved_application()
    known = TODAY - datetime.timedelta(days=300)
    body = (
        api(office)
        .post(
            revocations_url(application),
            hearing_body(facts_known_on=known.isoformat()),
            format="json",
        )
        .json()
    )
    last_day = add_months(known, 12)
    assert body["time_limit"]["last_day"] == last_day.isoformat()
    assert body["time_limit"]["days_left"] == (last_day - TODAY).days
    before = snapshot(application)
    with time_machine.travel(
        datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time(10)),
        tick=False,
    ):
        response = api(office).post(
            f"/api/v1/revocations/{body['id']}/decision/", {"reasons": "zu spät"}
        )
    assert response.status_code == 409
    assert response.json()["code"] == "time_limit_passed"
    assert snapshot(application) == before
    assert_books_agree(application, approved=APPROVED)
