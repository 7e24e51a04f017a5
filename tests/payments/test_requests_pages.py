"""The pages of the payment requests: the recipient's form with its confirmation step, the
office's certify page, finance's order page, the staff list (filters, pagination, constant
queries), and the payments part of the application page."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fund_manager.applications.models import State
from fund_manager.payments.models import PaymentRequest, PaymentState
from tests.conftest import module_data
from tests.factories import user_with_role
from tests.payments.test_requests import approved_grant, fresh, request
from workflows import payments as use_cases

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


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


def test_the_recipient_requests_money_with_a_confirmation_step(grant):
    application, provider = grant
    client = client_for(provider)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    new_url = reverse("payments:new", args=[application.pk])
    assert new_url in page
    assert "1.000,00" in page  # left to request

    form = {
        "amount": "250,00",
        "needed_by": (timezone.localdate() + 5 * DAY).isoformat(),
        "declaration": "on",
        "idempotency_key": "5b0e2b7e-8c55-4a53-9d42-3e1f4e0b9a10",
    }
    confirm = client.post(new_url, form)
    assert confirm.status_code == 200
    assert 'name="confirm"' in confirm.content.decode()
    assert not PaymentRequest.objects.exists()

    done = client.post(new_url, {**form, "confirm": "1"})
    assert done.status_code == 302
    payment = PaymentRequest.objects.get()
    assert (payment.amount, payment.state) == (D("250.00"), PaymentState.REQUESTED)
    assert fresh(application).state == State.IN_PAYMENT
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert payment.payment_key in page
    assert "750,00" in page


def test_a_refusal_on_confirmation_shows_the_message_and_changes_nothing(grant):
    application, provider = grant
    request(application, provider, "900.00")
    form = {
        "amount": "200,00",
        "needed_by": (timezone.localdate() + 5 * DAY).isoformat(),
        "declaration": "on",
        "idempotency_key": "5b0e2b7e-8c55-4a53-9d42-3e1f4e0b9a11",
        "confirm": "1",
    }
    answer = client_for(provider).post(reverse("payments:new", args=[application.pk]), form)
    assert answer.status_code == 200
    assert "100,00" in answer.content.decode()
    assert PaymentRequest.objects.count() == 1


def test_before_finality_the_page_names_the_date(db):
    application, provider = approved_grant(notified_on=timezone.localdate() - 3 * DAY)
    page = client_for(provider).get(reverse("applications:detail", args=[application.pk]))
    assert reverse("payments:new", args=[application.pk]) not in page.content.decode()
    final = timezone.localdate() - 3 * DAY
    assert str(final.year) in page.content.decode()


def test_another_organisation_sees_nothing(grant, other_provider):
    application, provider = grant
    payment = request(application, provider)
    client = client_for(other_provider)
    assert client.get(reverse("payments:new", args=[application.pk])).status_code == 404
    assert client.get(payment.get_absolute_url()).status_code == 404
    assert client.get(reverse("payments:cancel", args=[payment.pk])).status_code == 404


def test_the_office_certifies_and_finance_orders_after_confirming(grant, office, finance):
    application, provider = grant
    payment = request(application, provider)

    detail = client_for(office).get(payment.get_absolute_url()).content.decode()
    certify_url = reverse("payments:certify", args=[payment.pk])
    assert certify_url in detail
    assert client_for(office).post(certify_url, {}).status_code == 200  # the summary
    assert fresh(payment).state == PaymentState.REQUESTED
    assert client_for(office).post(certify_url, {"confirm": "1"}).status_code == 302
    assert fresh(payment).state == PaymentState.CERTIFIED

    order_url = reverse("payments:order", args=[payment.pk])
    assert client_for(office).get(order_url).status_code == 403
    assert order_url in client_for(finance).get(payment.get_absolute_url()).content.decode()
    assert client_for(finance).post(order_url, {"confirm": "1"}).status_code == 302
    assert fresh(payment).state == PaymentState.ORDERED


def test_reject_and_cancel_pages(grant, office):
    application, provider = grant
    first, second = request(application, provider, "100.00"), request(application, provider, "1")
    reject_url = reverse("payments:reject", args=[first.pk])
    assert client_for(provider).get(reject_url).status_code == 403
    client_for(office).post(reject_url, {"reason": "Belege fehlen", "confirm": "1"})
    assert fresh(first).state == PaymentState.REJECTED

    cancel_url = reverse("payments:cancel", args=[second.pk])
    client_for(provider).post(cancel_url, {"reason": "Doppelt", "confirm": "1"})
    assert fresh(second).state == PaymentState.CANCELLED


def test_the_staff_list_filters_paginates_and_costs_constant_queries(
    office, finance, settings, django_assert_max_num_queries
):
    settings.FM_PAGE_SIZE = 3
    payments = []
    for _ in range(2):
        application, provider = approved_grant()
        payments.append(request(application, provider, "100.00"))
    client = client_for(finance)
    url = reverse("payments:request_list")

    with django_assert_max_num_queries(20) as few:
        page = client.get(url)
    assert page.status_code == 200
    for _ in range(3):
        application, provider = approved_grant()
        payments.append(request(application, provider, "100.00"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert 'rel="next"' in page

    use_cases.certify_payment(payment=payments[0], by=office)
    filtered = client.get(url, {"state": "certified"}).content.decode()
    assert payments[0].payment_key in filtered
    assert payments[1].payment_key not in filtered
    empty = client.get(url, {"state": "paid"}).content.decode()
    assert reverse("payments:request_list") in empty
    year = payments[0].fiscal_year.year
    assert client.get(url, {"year": year}).status_code == 200


def test_the_list_is_for_staff(grant):
    _application, provider = grant
    assert client_for(provider).get(reverse("payments:request_list")).status_code == 403


def test_the_office_closes_an_unused_approval_on_a_page(grant, office):
    application, _provider = grant
    type(application).objects.filter(pk=application.pk).update(
        start_date=timezone.localdate() - 90 * DAY, end_date=timezone.localdate() - DAY
    )
    page = client_for(office).get(reverse("applications:detail", args=[application.pk]))
    url = reverse("payments:close_unused", args=[application.pk])
    assert url in page.content.decode()
    client_for(office).post(url, {"reason": "Projekt abgesagt", "confirm": "1"})
    assert fresh(application).state == State.CLOSED


def test_the_office_records_a_waiver_on_a_page(db, office):
    application, provider = approved_grant(notified_on=timezone.localdate() - 3 * DAY)
    url = reverse("payments:remedy_waiver", args=[application.pk])
    page = client_for(office).get(reverse("applications:detail", args=[application.pk]))
    assert url in page.content.decode()
    assert client_for(provider).get(url).status_code == 403

    waived = (timezone.localdate() - DAY).isoformat()
    assert client_for(office).post(url, {"waived_on": waived}).status_code == 200  # summary
    client_for(office).post(url, {"waived_on": waived, "confirm": "1"})

    page = client_for(provider).get(reverse("applications:detail", args=[application.pk]))
    assert reverse("payments:new", args=[application.pk]) in page.content.decode()


def test_the_inbox_pages_show_the_payment_tasks(grant, office, finance):
    application, provider = grant
    payment = request(application, provider)
    page = client_for(office).get(reverse("workflows:inbox"))
    assert page.status_code == 200
    assert payment.get_absolute_url() in page.content.decode()
    use_cases.certify_payment(payment=payment, by=office)
    page = client_for(finance).get(reverse("workflows:inbox"))
    assert payment.get_absolute_url() in page.content.decode()


def test_a_resent_confirmation_makes_one_request(grant):
    application, provider = grant
    url = reverse("payments:new", args=[application.pk])
    form = {
        "amount": "250,00",
        "needed_by": (timezone.localdate() + 5 * DAY).isoformat(),
        "declaration": "on",
        "idempotency_key": "7f0c6c1e-1111-4f3a-9a8e-2b2d5d1c0a01",
        "confirm": "1",
    }
    client = client_for(provider)
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302
    assert PaymentRequest.objects.count() == 1
