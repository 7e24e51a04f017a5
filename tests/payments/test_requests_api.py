"""Payment requests through the API (docs/api.md, "Payments"): status codes 201/200/400/403/
404/409, a refused action changes nothing, the list shows only what the caller may see and
costs a constant number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fund_manager.applications.models import State
from fund_manager.core.models import AuditEntry
from fund_manager.ledger.models import SpendingFreeze
from fund_manager.payments.models import PaymentRequest
from tests.conftest import module_data
from tests.factories import user_with_role
from tests.payments.test_requests import approved_grant, fresh, request, snapshot
from workflows import payments as use_cases

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)


def client_for(user):
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def body(amount="400.00", days=10, declaration=True):
    return {
        "amount": amount,
        "needed_by": (timezone.localdate() + days * DAY).isoformat(),
        "declaration": declaration,
    }


def create_url(application):
    return reverse("api:application-payment-requests", args=[application.pk])


def action_url(payment, name):
    return reverse(f"api:payment-request-{name}", args=[payment.pk])


@module_data
def grant():
    """(application, provider): approved_grant(), built once per module (what a test changes
    is rolled back after it)."""
    return approved_grant()


@pytest.fixture
def office():
    return user_with_role("project_office")


@pytest.fixture
def finance():
    return user_with_role("finance")


def test_the_whole_path_through_the_api(grant, office, finance):
    application, provider = grant

    created = client_for(provider).post(create_url(application), body(), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["state"], data["amount"], data["number"]) == ("requested", "400.00", 1)
    assert fresh(application).state == State.IN_PAYMENT
    payment = PaymentRequest.objects.get(pk=data["id"])

    certified = client_for(office).post(action_url(payment, "certify"))
    assert certified.status_code == 200, certified.content
    assert certified.json()["certified_by"] == office.username

    ordered = client_for(finance).post(action_url(payment, "order"))
    assert ordered.status_code == 200, ordered.content
    assert ordered.json()["state"] == "ordered"
    assert ordered.json()["document_number"] == f"{application.fiscal_year.year}-000001"

    detail = client_for(provider).get(reverse("api:payment-request-detail", args=[payment.pk]))
    assert detail.status_code == 200
    assert detail.json()["state"] == "ordered"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (body(amount="1000.01"), "amount"),
        (body(amount="0.00"), "amount"),
        (body(amount="12,50"), "amount"),
        (body(days=-1), "needed_by"),
        (body(days=90), "needed_by"),
        (body(declaration=False), "declaration"),
        ({"amount": "10.00"}, "needed_by"),
    ],
)
def test_a_bad_request_is_400_and_changes_nothing(grant, payload, field):
    application, provider = grant
    audit = AuditEntry.objects.count()

    answer = client_for(provider).post(create_url(application), payload, format="json")

    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert not PaymentRequest.objects.exists()
    assert AuditEntry.objects.count() == audit
    assert fresh(application).state == State.APPROVED


def test_before_the_notice_is_final_409_with_the_date(db):
    application, provider = approved_grant(notified_on=timezone.localdate() - 3 * DAY)
    answer = client_for(provider).post(create_url(application), body(), format="json")
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_final"
    assert ".20" in answer.json()["detail"]  # "… am TT.MM.JJJJ …"
    assert not PaymentRequest.objects.exists()


def test_a_provider_of_another_organisation_neither_requests_nor_sees(grant, other_provider):
    application, provider = grant
    payment = request(application, provider)
    client = client_for(other_provider)

    assert client.post(create_url(application), body(), format="json").status_code == 404
    assert client.get(reverse("api:payment-request-detail", args=[payment.pk])).status_code == 404
    assert client.post(action_url(payment, "cancel"), {"reason": "x"}).status_code == 404
    listed = client.get(reverse("api:payment-request-list"))
    assert listed.json()["count"] == 0
    assert PaymentRequest.objects.count() == 1


def test_staff_may_not_request_403(grant, office):
    application, _provider = grant
    answer = client_for(office).post(create_url(application), body(), format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_permitted"


@pytest.mark.parametrize(
    ("who", "name", "status"),
    [
        ("provider", "certify", 403),
        ("finance", "certify", 403),
        ("office", "order", 403),
        ("provider", "reject", 403),
        ("office", "cancel", 403),
        ("finance", "order", 409),  # not certified yet
    ],
)
def test_refused_actions_change_nothing(grant, office, finance, who, name, status):
    application, provider = grant
    payment = request(application, provider)
    actor = {"provider": provider, "office": office, "finance": finance}[who]
    before = snapshot(payment)

    answer = client_for(actor).post(action_url(payment, name), {"reason": "Grund"}, format="json")

    assert answer.status_code == status, answer.content
    assert snapshot(payment) == before


def test_the_certifier_cannot_order_403(grant, office):
    application, provider = grant
    both = user_with_role("finance")
    both.groups.add(*office.groups.all())
    payment = use_cases.certify_payment(payment=request(application, provider), by=both)
    before = snapshot(payment)
    answer = client_for(both).post(action_url(payment, "order"))
    assert answer.status_code == 403
    assert snapshot(payment) == before


def test_a_spending_freeze_is_409(grant, office, finance):
    application, provider = grant
    payment = use_cases.certify_payment(payment=request(application, provider), by=office)
    SpendingFreeze.objects.create(
        fiscal_year=application.fiscal_year,
        reason="Haushaltssperre",
        frozen_by=finance,
        frozen_at=timezone.now(),
    )
    before = snapshot(payment)
    answer = client_for(finance).post(action_url(payment, "order"))
    assert answer.status_code == 409
    assert answer.json()["code"] == "spending_frozen"
    assert snapshot(payment) == before


def test_reject_and_cancel_need_a_reason(grant, office):
    application, provider = grant
    payment = request(application, provider)
    assert client_for(office).post(action_url(payment, "reject"), {}).status_code == 400
    answer = client_for(provider).post(action_url(payment, "cancel"), {"reason": "Doppelt"})
    assert answer.status_code == 200
    assert answer.json()["state"] == "cancelled"
    assert answer.json()["closing_reason"] == "Doppelt"
    again = client_for(provider).post(action_url(payment, "cancel"), {"reason": "Doppelt"})
    assert again.status_code == 409


def test_the_list_filters_and_its_queries_stay_constant(office, django_assert_max_num_queries):
    grants = [approved_grant() for _ in range(2)]
    for application, provider in grants:
        request(application, provider, "100.00")
    client = client_for(office)
    url = reverse("api:payment-request-list")

    with django_assert_max_num_queries(8) as few:
        assert client.get(url).json()["count"] == 2
    for application, provider in [approved_grant() for _ in range(4)]:
        request(application, provider, "100.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).json()["count"] == 6

    year = grants[0][0].fiscal_year.year
    assert client.get(url, {"state": "requested", "fiscal_year": year}).json()["count"] == 6
    assert client.get(url, {"state": "paid"}).json()["count"] == 0
    assert client.get(url, {"application": grants[0][0].pk}).json()["count"] == 1
    assert client.get(url, {"fiscal_year": "x"}).status_code == 400


def test_the_office_records_a_waiver_of_legal_remedy_through_the_api(db, office):
    application, provider = approved_grant(notified_on=timezone.localdate() - 3 * DAY)
    url = reverse("api:application-remedy-waiver", args=[application.pk])
    waived = (timezone.localdate() - DAY).isoformat()

    assert client_for(provider).post(url, {"waived_on": waived}).status_code == 403
    assert client_for(office).post(url, {"waived_on": "gestern"}).status_code == 400
    answer = client_for(office).post(url, {"waived_on": waived})

    assert answer.status_code == 200, answer.content
    assert answer.json()["remedy_waived_on"] == waived
    assert answer.json()["payable_from"] == waived
    created = client_for(provider).post(create_url(application), body(), format="json")
    assert created.status_code == 201


def test_no_waiver_without_a_notification_409(db, office):
    application, _provider = approved_grant(notified=False)
    url = reverse("api:application-remedy-waiver", args=[application.pk])
    answer = client_for(office).post(url, {"waived_on": timezone.localdate().isoformat()})
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_notified"


def test_a_repeated_idempotency_key_answers_the_first_request(grant):
    application, provider = grant
    client = client_for(provider)
    headers = {"HTTP_IDEMPOTENCY_KEY": "abruf-1"}

    first = client.post(create_url(application), body(), format="json", **headers)
    again = client.post(create_url(application), body(), format="json", **headers)
    other = client.post(create_url(application), body(amount="5.00"), format="json", **headers)

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotency-Key"] == "abruf-1"
    assert other.json()["code"] == "idempotency_conflict"
    assert PaymentRequest.objects.count() == 1
    bad = client.post(
        create_url(application), body(), format="json", HTTP_IDEMPOTENCY_KEY="zwei wörter"
    )
    assert bad.status_code == 400
    assert "idempotency_key" in bad.json()
