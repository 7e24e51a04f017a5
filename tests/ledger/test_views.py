"""The ledger pages: who may see and book what, what the balances page shows to the cent, and
that every refused booking leaves the ledger as it was."""

import re
import uuid
from decimal import Decimal
from html import unescape

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from fund_manager.applications.models import Application
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import posting, services
from fund_manager.ledger.admin import AccountAdmin, TransferAdmin
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    force_approval,
    user_with_role,
)

pytestmark = pytest.mark.django_db

D = Decimal
NBSP = "\u00a0"


def eur(text):
    """A German-formatted amount as the money filter writes it: '1.000,00 €'."""
    return f"{text}{NBSP}€"


@pytest.fixture
def field_a(year):
    return ActionFieldFactory(fund=year.fund, name="Ankommen", position=1)


@pytest.fixture
def field_b(year):
    return ActionFieldFactory(fund=year.fund, name="Wohnen", position=2)


def key():
    return str(uuid.uuid4())


def allocate(year, field, amount, finance, reason=""):
    return services.allocate(
        fiscal_year=year,
        action_field=field,
        amount=D(amount),
        by=finance,
        idempotency_key=key(),
        reason=reason,
    ).transfer


def committed_application(year, field, amount, finance):
    """An approved application of ``field`` with ``amount`` committed (as the approval books)."""
    application = approved_application(year, field, amount)
    services.commit(
        application=application,
        amount=D(amount),
        by=finance,
        idempotency_key=key(),
        reason="Beschluss der Lenkungsgruppe",
    )
    return application


def approved_application(year, field, amount):
    """Test setup: an application approved with ``amount``, with a reference, without the
    workflow (the ledger pages only need the row; the caller books the commitment)."""
    application = ApplicationFactory(fiscal_year=year, action_field=field)
    Application.objects.filter(pk=application.pk).update(
        reference=f"VF-{year.year}-{application.pk:03d}"
    )
    return force_approval(application, amount)


def as_shown(text):
    """``text`` as the page shows it: German, when the translations are compiled."""
    with translation.override("de"):
        return gettext(text)


def html(response):
    return unescape(response.content.decode())


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


ROW_HEADER = r'<th class="kern-table__header" scope="row">{}</th>(.*?)</tr>'


def row_figures(response, label):
    """The linked figures of the balances row headed ``label`` (or 'Total')."""
    content = html(response)
    match = re.search(ROW_HEADER.format(re.escape(label)), content, re.S)
    assert match, f"no row {label!r}"
    return re.findall(r'<a href="[^"]*">([^<]*)</a>', match.group(1))


def row_links(response, label):
    content = response.content.decode()
    match = re.search(ROW_HEADER.format(re.escape(label)), content, re.S)
    return [unescape(url) for url in re.findall(r'<a href="([^"]*)">', match.group(1))]


def figure(response, name):
    match = re.search(rf'data-figure="{name}">([^<]*)<', html(response))
    return match.group(1)


# --- access ------------------------------------------------------------------------------------
def read_urls(year):
    return [
        reverse("ledger:years"),
        reverse("ledger:balances", args=[year.pk]),
        reverse("ledger:journal", args=[year.pk]),
        reverse("ledger:export_csv", args=[year.pk]),
        reverse("ledger:export_xlsx", args=[year.pk]),
    ]


def write_urls(year, transfer):
    return [
        reverse("ledger:set_budget", args=[year.pk]),
        reverse("ledger:allocate", args=[year.pk]),
        reverse("ledger:reallocate", args=[year.pk]),
        reverse("ledger:close", args=[year.pk]),
        reverse("ledger:reverse", args=[transfer.pk]),
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("finance", 200),
        ("project_office", 200),
        ("auditor", 200),
        ("provider", 403),
        ("steering_member", 403),
        ("chair", 403),
    ],
)
def test_read_pages_need_the_ledger_permission(client, year, field_a, finance, role, status):
    allocate(year, field_a, "1000.00", finance)
    client.force_login(user_with_role(role))
    for url in read_urls(year):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("finance", 200),
        ("project_office", 403),
        ("auditor", 403),
        ("provider", 403),
        ("chair", 403),
    ],
)
def test_write_pages_are_for_finance_only(client, year, field_a, finance, role, status):
    transfer = allocate(year, field_a, "1000.00", finance)
    client.force_login(user_with_role(role))
    for url in write_urls(year, transfer):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize("role", ["project_office", "auditor", "provider"])
def test_a_forbidden_post_books_nothing(client, year, field_a, finance, role):
    transfer = allocate(year, field_a, "1000.00", finance)
    client.force_login(user_with_role(role))
    before = Transfer.objects.count()
    posts = [
        (reverse("ledger:set_budget", args=[year.pk]), {"amount": "300.000,00"}),
        (
            reverse("ledger:allocate", args=[year.pk]),
            {"action_field": field_a.pk, "amount": "10,00"},
        ),
        (reverse("ledger:close", args=[year.pk]), {"reason": "Ende"}),
        (reverse("ledger:reverse", args=[transfer.pk]), {"reason": "Fehler"}),
    ]
    for url, data in posts:
        response = client.post(url, {**data, "idempotency_key": key(), "confirm": "1"})
        assert response.status_code == 403, url
    assert Transfer.objects.count() == before
    year.refresh_from_db()
    assert year.state == FiscalYear.State.OPEN


def test_anonymous_users_are_sent_to_the_login(client, year):
    response = client.get(reverse("ledger:balances", args=[year.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "shown"),
    [("finance", True), ("auditor", True), ("project_office", True), ("provider", False)],
)
def test_navigation_links_to_the_ledger(client, year, role, shown):
    client.force_login(user_with_role(role))
    page = client.get(reverse("accessibility")).content.decode()
    nav = page.split('class="main-nav"')[1].split("</nav>")[0]
    assert (f'href="{reverse("ledger:years")}"' in nav) is shown


def test_the_finance_start_page_links_every_budget_to_its_balances(finance_client, year):
    page = finance_client.get(reverse("dashboard:finance")).content.decode()
    assert f'href="{reverse("ledger:balances", args=[year.pk])}"' in page
    assert f'href="{reverse("ledger:years")}"' in page


def test_the_year_list_links_to_balances_and_journal(finance_client, year):
    page = finance_client.get(reverse("ledger:years")).content.decode()
    assert reverse("ledger:balances", args=[year.pk]) in page
    assert reverse("ledger:journal", args=[year.pk]) in page
    assert eur("200.000,00") in unescape(page)


# --- balances ----------------------------------------------------------------------------------
def test_balances_show_every_figure_of_the_year(finance_client, year, field_a, field_b, finance):
    allocate(year, field_a, "50000.00", finance)
    allocate(year, field_b, "30000.00", finance)
    services.reallocate(
        fiscal_year=year,
        from_field=field_a,
        to_field=field_b,
        amount=D("2500.50"),
        reason="Mehrbedarf Wohnen",
        by=finance,
        idempotency_key=key(),
    )
    application = committed_application(year, field_a, "10000.00", finance)
    services.disburse(
        application=application,
        amount=D("4000.00"),
        by=finance,
        idempotency_key=key(),
        reason="Zahlung",
    )
    services.refund(
        application=application,
        amount=D("500.00"),
        by=finance,
        idempotency_key=key(),
        reason="Rückzahlung",
    )

    response = finance_client.get(reverse("ledger:balances", args=[year.pk]))

    assert response.status_code == 200
    assert figure(response, "budget") == eur("200.000,00")
    assert figure(response, "unallocated") == eur("120.000,00")
    assert figure(response, "carried_in") == eur("0,00")
    assert figure(response, "returned") == eur("0,00")
    # allocated, available, committed, disbursed, refunded
    assert row_figures(response, "Ankommen") == [
        eur("47.499,50"),
        eur("37.999,50"),
        eur("6.000,00"),
        eur("3.500,00"),
        eur("500,00"),
    ]
    assert row_figures(response, "Wohnen") == [
        eur("32.500,50"),
        eur("32.500,50"),
        eur("0,00"),
        eur("0,00"),
        eur("0,00"),
    ]
    assert row_figures(response, as_shown("Total")) == [
        eur("80.000,00"),
        eur("70.500,00"),
        eur("6.000,00"),
        eur("3.500,00"),
        eur("500,00"),
    ]
    check = re.search(r'id="balance-check"[^>]*>(.*?)</p>', html(response), re.S).group(1)
    assert "✓" in check
    assert eur("200.000,00") in check
    assert 'class="notice error"' not in response.content.decode()


def test_on_a_phone_every_balance_is_named_by_its_column(finance_client, year, field_a, finance):
    """Phone first: each cell carries its column's name (data-label), so the stacked rows below
    768 px read "Zugewiesen 50.000,00 €"; the wide table keeps its header row."""
    allocate(year, field_a, "50000.00", finance)
    response = finance_client.get(reverse("ledger:balances", args=[year.pk]))
    content = html(response)
    table = re.search(
        r'<table class="kern-table fm-stack" id="field-balances">.*?</table>', content, re.S
    )
    header = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table.group(0))
    labels = re.findall(r'<td[^>]*data-label="([^"]*)"', table.group(0))
    columns = [
        as_shown(name) for name in ("Allocated", "Available", "Committed", "Disbursed", "Refunded")
    ]
    assert header == columns
    assert labels == columns * 2  # the action field's row and the total
    assert as_shown("Reconciliation") in content


def listed(client, url):
    """Follow a figure's link: the transfers the journal lists."""
    response = client.get(url)
    assert response.status_code == 200
    return list(response.context["page_obj"])


def test_every_figure_links_to_the_transfers_behind_it(
    finance_client, year, field_a, field_b, finance
):
    first = allocate(year, field_a, "1000.00", finance)
    allocate(year, field_b, "700.00", finance)
    moved = services.reallocate(
        fiscal_year=year,
        from_field=field_a,
        to_field=field_b,
        amount=D("100.00"),
        reason="Umschichtung",
        by=finance,
        idempotency_key=key(),
    ).transfer
    application = committed_application(year, field_a, "300.00", finance)
    response = finance_client.get(reverse("ledger:balances", args=[year.pk]))
    allocated, available, committed, disbursed, refunded = row_links(response, "Ankommen")

    assert {t.pk for t in listed(finance_client, allocated)} == {first.pk, moved.pk}
    shown = listed(finance_client, available)
    assert {t.kind for t in shown} == {"allocation", "reallocation", "commitment"}
    shown = listed(finance_client, committed)
    assert [(t.kind, t.application_id) for t in shown] == [("commitment", application.pk)]
    assert listed(finance_client, disbursed) == []
    assert listed(finance_client, refunded) == []
    budget_link = re.search(r'href="([^"]*)" data-figure="budget"', response.content.decode())
    shown = listed(finance_client, unescape(budget_link.group(1)))
    assert [t.kind for t in shown] == ["budget"]
    unallocated = re.search(
        r'href="([^"]*)" data-figure="unallocated"', response.content.decode()
    ).group(1)
    assert len(listed(finance_client, unescape(unallocated))) == 3


def test_the_allocated_figure_links_to_reversals_too(finance_client, year, field_a, finance):
    wrong = allocate(year, field_a, "1000.00", finance)
    reversal = services.reverse_transfer(
        transfer=wrong, by=finance, reason="Falsches Feld", idempotency_key=key()
    ).transfer
    right = allocate(year, field_a, "300.00", finance)
    response = finance_client.get(reverse("ledger:balances", args=[year.pk]))
    assert row_figures(response, "Ankommen")[0] == eur("300,00")
    allocated = row_links(response, "Ankommen")[0]
    assert {t.pk for t in listed(finance_client, allocated)} == {wrong.pk, reversal.pk, right.pk}
    url = reverse("ledger:journal", args=[year.pk])
    plain = finance_client.get(url, {"kind": "allocation"}).context["page_obj"]
    assert {t.pk for t in plain} == {wrong.pk, right.pk}


def test_readers_see_no_booking_buttons(client, year):
    client.force_login(user_with_role("auditor"))
    page = client.get(reverse("ledger:balances", args=[year.pk])).content.decode()
    assert reverse("ledger:allocate", args=[year.pk]) not in page
    assert reverse("ledger:close", args=[year.pk]) not in page


def test_finance_sees_the_booking_buttons(finance_client, year):
    page = finance_client.get(reverse("ledger:balances", args=[year.pk])).content.decode()
    for name in ("set_budget", "allocate", "reallocate", "close"):
        assert reverse(f"ledger:{name}", args=[year.pk]) in page


# --- set budget --------------------------------------------------------------------------------
def test_the_form_carries_a_fresh_idempotency_key(finance_client, year):
    url = reverse("ledger:set_budget", args=[year.pk])
    first = finance_client.get(url).context["form"]["idempotency_key"].value()
    second = finance_client.get(url).context["form"]["idempotency_key"].value()
    assert uuid.UUID(str(first)) != uuid.UUID(str(second))
    response = finance_client.get(url)
    rendered = response.context["form"]["idempotency_key"].value()
    assert f'name="idempotency_key" value="{rendered}"' in response.content.decode()


def test_set_budget_asks_for_confirmation_first(finance_client, year):
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:set_budget", args=[year.pk]),
        {"amount": "250.000,00", "idempotency_key": key()},
    )
    assert response.status_code == 200
    assert response.context["confirming"] is True
    content = html(response)
    assert eur("250.000,00") in content
    assert eur("50.000,00") in content  # the difference that will be booked
    assert 'name="confirm"' in content
    assert Transfer.objects.count() == before


def test_set_budget_raises_the_budget(finance_client, year):
    response = finance_client.post(
        reverse("ledger:set_budget", args=[year.pk]),
        {"amount": "250.000,00", "idempotency_key": key(), "confirm": "1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("ledger:balances", args=[year.pk])
    year.refresh_from_db()
    assert year.budget == D("250000.00")
    transfer = Transfer.objects.filter(fiscal_year=year).order_by("-sequence").first()
    assert (transfer.kind, transfer.amount) == (TransferKind.BUDGET, D("50000.00"))
    assert figure(response, "budget") == eur("250.000,00")
    assert figure(response, "unallocated") == eur("250.000,00")
    assert any(eur("50.000,00") in m for m in messages_of(response))


def test_set_budget_lowers_the_budget(finance_client, year):
    finance_client.post(
        reverse("ledger:set_budget", args=[year.pk]),
        {"amount": "150.000", "idempotency_key": key(), "confirm": "1"},
    )
    year.refresh_from_db()
    assert year.budget == D("150000.00")
    transfer = Transfer.objects.filter(fiscal_year=year).order_by("-sequence").first()
    assert (transfer.kind, transfer.amount) == (TransferKind.BUDGET_REDUCTION, D("50000.00"))


def test_set_budget_to_the_same_amount_is_refused(finance_client, year):
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:set_budget", args=[year.pk]),
        {"amount": "200.000,00", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert Transfer.objects.count() == before


def test_set_budget_below_what_is_allocated_names_the_shortfall(
    finance_client, year, field_a, finance
):
    allocate(year, field_a, "150000.00", finance)
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:set_budget", args=[year.pk]),
        {"amount": "100.000,00", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.status_code == 200
    assert any("50.000,00" in m for m in messages_of(response))
    assert Transfer.objects.count() == before
    year.refresh_from_db()
    assert year.budget == D("200000.00")


def test_a_budget_beyond_what_a_money_field_holds_is_refused(finance_client, year):
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:set_budget", args=[year.pk]),
        {"amount": "1.000.000.000.000,00", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.context["form"].errors["amount"]
    assert Transfer.objects.count() == before


def test_a_double_post_sets_the_budget_once(finance_client, year):
    data = {"amount": "210.000,00", "idempotency_key": key(), "confirm": "1"}
    url = reverse("ledger:set_budget", args=[year.pk])
    before = Transfer.objects.count()
    assert finance_client.post(url, data).status_code == 302
    assert finance_client.post(url, data).status_code == 302
    assert Transfer.objects.count() == before + 1
    year.refresh_from_db()
    assert year.budget == D("210000.00")


# --- allocate ----------------------------------------------------------------------------------
def test_allocate_books_and_the_balances_show_it(finance_client, year, field_a):
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {
            "action_field": field_a.pk,
            "amount": "12.345,67",
            "reason": "Erste Tranche",
            "idempotency_key": key(),
            "confirm": "1",
        },
        follow=True,
    )
    transfer = Transfer.objects.get(kind=TransferKind.ALLOCATION)
    assert transfer.amount == D("12345.67")
    assert transfer.reason == "Erste Tranche"
    assert transfer.target.action_field == field_a
    assert row_figures(response, "Ankommen")[:2] == [eur("12.345,67"), eur("12.345,67")]
    assert figure(response, "unallocated") == eur("187.654,33")


def test_allocate_without_reason_gets_the_default_reason(finance_client, year, field_a):
    finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": field_a.pk, "amount": "100", "idempotency_key": key(), "confirm": "1"},
    )
    assert Transfer.objects.get(kind=TransferKind.ALLOCATION).reason.endswith("Ankommen")


def test_allocate_shows_a_summary_before_booking(finance_client, year, field_a):
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": field_a.pk, "amount": "1.000", "idempotency_key": key()},
    )
    assert response.context["confirming"] is True
    content = html(response)
    assert eur("1.000,00") in content
    assert eur("199.000,00") in content  # unallocated afterwards
    assert not Transfer.objects.filter(kind=TransferKind.ALLOCATION).exists()
    # "Change" goes back to the filled-in form
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": field_a.pk, "amount": "1.000", "idempotency_key": key(), "edit": "1"},
    )
    assert response.context["confirming"] is False
    assert not Transfer.objects.filter(kind=TransferKind.ALLOCATION).exists()


def test_the_confirmation_warns_about_a_shortfall(finance_client, year, field_a):
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": field_a.pk, "amount": "250.000,00", "idempotency_key": key()},
    )
    assert response.context["confirming"] is True
    content = html(response)
    assert "⚠" in content
    assert eur("50.000,00") in content
    assert not Transfer.objects.filter(kind=TransferKind.ALLOCATION).exists()


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ("0", "amount"),
        ("0,00", "amount"),
        ("-5,00", "amount"),
        ("1,234", "amount"),
        ("12,345", "amount"),
        ("abc", "amount"),
        ("12a", "amount"),
        ("", "amount"),
    ],
)
def test_bad_amounts_book_nothing(finance_client, year, field_a, amount, field):
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": field_a.pk, "amount": amount, "idempotency_key": key(), "confirm": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert Transfer.objects.count() == before


def test_an_action_field_of_another_fund_is_refused(finance_client, year):
    from tests.factories import FundFactory

    foreign = ActionFieldFactory(fund=FundFactory(code="other", name="Anderer Fonds"))
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": foreign.pk, "amount": "10", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.context["form"].errors["action_field"]
    assert Transfer.objects.count() == before


def test_allocating_more_than_unallocated_names_the_shortfall(finance_client, year, field_a):
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {
            "action_field": field_a.pk,
            "amount": "200.250,50",
            "idempotency_key": key(),
            "confirm": "1",
        },
    )
    assert response.status_code == 200
    [message] = messages_of(response)
    assert "250,50" in message
    assert "Nothing was booked" in message or "nichts" in message.lower()
    assert message in html(response)
    assert Transfer.objects.count() == before


def test_a_double_post_allocates_once(finance_client, year, field_a):
    data = {"action_field": field_a.pk, "amount": "500", "idempotency_key": key(), "confirm": "1"}
    url = reverse("ledger:allocate", args=[year.pk])
    finance_client.post(url, data)
    response = finance_client.post(url, data)
    assert response.status_code == 302
    assert Transfer.objects.filter(kind=TransferKind.ALLOCATION).count() == 1
    assert Account.objects.get(kind=AccountKind.AVAILABLE, action_field=field_a).balance == D(
        "500.00"
    )


def test_the_same_key_for_another_amount_is_a_conflict(finance_client, year, field_a):
    url = reverse("ledger:allocate", args=[year.pk])
    same_key = key()
    finance_client.post(
        url,
        {"action_field": field_a.pk, "amount": "500", "idempotency_key": same_key, "confirm": "1"},
    )
    response = finance_client.post(
        url,
        {"action_field": field_a.pk, "amount": "600", "idempotency_key": same_key, "confirm": "1"},
    )
    assert response.status_code == 200
    assert messages_of(response)
    assert Transfer.objects.filter(kind=TransferKind.ALLOCATION).count() == 1


def test_a_missing_idempotency_key_is_shown_and_books_nothing(finance_client, year, field_a):
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": field_a.pk, "amount": "500", "confirm": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Transfer.objects.filter(kind=TransferKind.ALLOCATION).exists()


def test_a_closed_year_refuses_an_allocation_with_a_message(finance_client, year, field_a):
    services.close_fiscal_year(
        fiscal_year=year,
        by=finance_client_user(finance_client),
        reason="Ende",
        idempotency_key=key(),
    )
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:allocate", args=[year.pk]),
        {"action_field": field_a.pk, "amount": "500", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.status_code == 200
    [message] = messages_of(response)
    assert str(year.year) in message
    assert Transfer.objects.count() == before


def finance_client_user(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


# --- reallocate --------------------------------------------------------------------------------
def test_reallocate_moves_money_between_fields(finance_client, year, field_a, field_b, finance):
    allocate(year, field_a, "10000.00", finance)
    response = finance_client.post(
        reverse("ledger:reallocate", args=[year.pk]),
        {
            "from_action_field": field_a.pk,
            "to_action_field": field_b.pk,
            "amount": "2.500,25",
            "reason": "Mehrbedarf",
            "idempotency_key": key(),
            "confirm": "1",
        },
        follow=True,
    )
    transfer = Transfer.objects.get(kind=TransferKind.REALLOCATION)
    assert transfer.amount == D("2500.25")
    assert transfer.reason == "Mehrbedarf"
    assert row_figures(response, "Ankommen")[:2] == [eur("7.499,75"), eur("7.499,75")]
    assert row_figures(response, "Wohnen")[:2] == [eur("2.500,25"), eur("2.500,25")]


@pytest.mark.parametrize(
    ("overrides", "error_field"),
    [
        ({"to_action_field": "same"}, "to_action_field"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1,234"}, "amount"),
    ],
)
def test_bad_reallocations_book_nothing(
    finance_client, year, field_a, field_b, finance, overrides, error_field
):
    allocate(year, field_a, "10000.00", finance)
    data = {
        "from_action_field": field_a.pk,
        "to_action_field": field_b.pk,
        "amount": "100",
        "reason": "Mehrbedarf",
        "idempotency_key": key(),
        "confirm": "1",
    }
    data.update(overrides)
    if data["to_action_field"] == "same":
        data["to_action_field"] = field_a.pk
    before = Transfer.objects.count()
    response = finance_client.post(reverse("ledger:reallocate", args=[year.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[error_field]
    assert Transfer.objects.count() == before


def test_a_double_post_reallocates_once(finance_client, year, field_a, field_b, finance):
    allocate(year, field_a, "1000.00", finance)
    data = {
        "from_action_field": field_a.pk,
        "to_action_field": field_b.pk,
        "amount": "100",
        "reason": "Mehrbedarf",
        "idempotency_key": key(),
        "confirm": "1",
    }
    url = reverse("ledger:reallocate", args=[year.pk])
    assert finance_client.post(url, data).status_code == 302
    assert finance_client.post(url, data).status_code == 302
    assert Transfer.objects.filter(kind=TransferKind.REALLOCATION).count() == 1


def test_money_can_be_moved_out_of_an_inactive_field(
    finance_client, year, field_a, field_b, finance
):
    allocate(year, field_a, "1000.00", finance)
    field_a.active = False
    field_a.save()
    page = finance_client.get(reverse("ledger:reallocate", args=[year.pk]))
    assert field_a in page.context["form"].fields["from_action_field"].queryset
    assert field_a not in page.context["form"].fields["to_action_field"].queryset
    assert (
        field_a
        not in finance_client.get(reverse("ledger:allocate", args=[year.pk]))
        .context["form"]
        .fields["action_field"]
        .queryset
    )


def test_reallocating_more_than_available_names_the_shortfall(
    finance_client, year, field_a, field_b, finance
):
    allocate(year, field_a, "1000.00", finance)
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:reallocate", args=[year.pk]),
        {
            "from_action_field": field_a.pk,
            "to_action_field": field_b.pk,
            "amount": "1.234,56",
            "reason": "Mehrbedarf",
            "idempotency_key": key(),
            "confirm": "1",
        },
    )
    [message] = messages_of(response)
    assert "234,56" in message
    assert "Ankommen" in message
    assert Transfer.objects.count() == before


# --- reverse -----------------------------------------------------------------------------------
def test_reverse_shows_the_original(finance_client, year, field_a, finance):
    original = allocate(year, field_a, "1000.00", finance, reason="Tranche eins")
    response = finance_client.get(reverse("ledger:reverse", args=[original.pk]))
    content = html(response)
    assert "Tranche eins" in content
    assert eur("1.000,00") in content


def test_reverse_books_a_counter_transfer_once(finance_client, year, field_a, finance):
    original = allocate(year, field_a, "1000.00", finance)
    data = {"reason": "Falsches Handlungsfeld", "idempotency_key": key(), "confirm": "1"}
    url = reverse("ledger:reverse", args=[original.pk])
    response = finance_client.post(url, data)
    assert response.status_code == 302
    assert finance_client.post(url, data).status_code == 302  # a double click
    reversal = Transfer.objects.get(kind=TransferKind.REVERSAL)
    assert reversal.reverses == original
    assert (reversal.source, reversal.target) == (original.target, original.source)
    assert reversal.amount == D("1000.00")
    assert Account.objects.get(kind=AccountKind.AVAILABLE, action_field=field_a).balance == D(
        "0.00"
    )

    journal = finance_client.get(reverse("ledger:journal", args=[year.pk])).content.decode()
    assert as_shown("reverses no. %(number)s") % {"number": original.sequence} in journal
    assert as_shown("reversed by no. %(number)s") % {"number": reversal.sequence} in journal
    assert reverse("ledger:reverse", args=[original.pk]) not in journal


TIED = (
    "Diese Buchung gehört zum Antrag %s. Ändern Sie die Bewilligung über den Antrag "
    "(Verzicht, Teilwiderruf oder Widerruf)."
)


def ledger_snapshot():
    return Transfer.objects.count(), dict(Account.objects.values_list("pk", "balance"))


def test_defect_02_the_journal_offers_no_reversal_of_an_applications_transfers(
    finance_client, year, field_a, finance
):
    allocation = allocate(year, field_a, "1000.00", finance)
    application = committed_application(year, field_a, "400.00", finance)
    commitment = Transfer.objects.get(kind=TransferKind.COMMITMENT, application=application)

    page = html(finance_client.get(reverse("ledger:journal", args=[year.pk])))

    assert reverse("ledger:reverse", args=[allocation.pk]) in page
    assert reverse("ledger:reverse", args=[commitment.pk]) not in page
    assert application.reference in page


def test_defect_02_the_reversal_page_of_a_commitment_sends_to_the_application(
    finance_client, year, field_a, finance
):
    allocate(year, field_a, "1000.00", finance)
    application = committed_application(year, field_a, "400.00", finance)
    commitment = Transfer.objects.get(kind=TransferKind.COMMITMENT, application=application)

    page = html(finance_client.get(reverse("ledger:reverse", args=[commitment.pk])))

    assert TIED % application.reference in page
    assert reverse("applications:detail", args=[application.pk]) in page
    assert 'name="confirm"' not in page
    assert 'name="reason"' not in page


def test_defect_02_posting_the_reversal_of_a_commitment_is_refused_and_books_nothing(
    finance_client, year, field_a, finance
):
    allocate(year, field_a, "1000.00", finance)
    application = committed_application(year, field_a, "400.00", finance)
    commitment = Transfer.objects.get(kind=TransferKind.COMMITMENT, application=application)
    before = ledger_snapshot()
    url = reverse("ledger:reverse", args=[commitment.pk])

    for data in (
        {"reason": "Fehler", "idempotency_key": key(), "confirm": "1"},
        {"reason": "Fehler", "idempotency_key": key()},
        {},
    ):
        response = finance_client.post(url, data)

        assert response.status_code == 200
        assert messages_of(response) == [TIED % application.reference]
    assert ledger_snapshot() == before
    assert not Transfer.objects.filter(kind=TransferKind.REVERSAL).exists()
    committed = Account.objects.get(kind=AccountKind.COMMITTED, application=application)
    assert committed.balance == D("400.00")
    application.refresh_from_db()
    assert (application.state, application.approved_amount) == ("approved", D("400.00"))


def test_a_transfer_is_reversed_only_once(finance_client, year, field_a, finance):
    original = allocate(year, field_a, "1000.00", finance)
    services.reverse_transfer(transfer=original, by=finance, reason="Fehler", idempotency_key=key())
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:reverse", args=[original.pk]),
        {"reason": "Noch einmal", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.status_code == 200
    assert messages_of(response)
    assert Transfer.objects.count() == before


def test_a_reversal_needs_a_reason(finance_client, year, field_a, finance):
    original = allocate(year, field_a, "1000.00", finance)
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:reverse", args=[original.pk]),
        {"reason": "", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.context["form"].errors["reason"]
    assert Transfer.objects.count() == before


def test_a_budget_transfer_is_not_reversed(finance_client, year):
    budget = Transfer.objects.get(fiscal_year=year, kind=TransferKind.BUDGET)
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:reverse", args=[budget.pk]),
        {"reason": "Fehler", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.status_code == 200
    assert messages_of(response)
    assert Transfer.objects.count() == before


def test_reversing_money_that_is_gone_names_the_shortfall(
    finance_client, year, field_a, field_b, finance
):
    original = allocate(year, field_a, "1000.00", finance)
    services.reallocate(
        fiscal_year=year,
        from_field=field_a,
        to_field=field_b,
        amount=D("400.00"),
        reason="Umschichtung",
        by=finance,
        idempotency_key=key(),
    )
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:reverse", args=[original.pk]),
        {"reason": "Fehler", "idempotency_key": key(), "confirm": "1"},
    )
    [message] = messages_of(response)
    assert "400,00" in message
    assert Transfer.objects.count() == before


def test_a_reversed_allocation_is_no_longer_allocated(finance_client, year, field_a, finance):
    original = allocate(year, field_a, "1000.00", finance)
    services.reverse_transfer(transfer=original, by=finance, reason="Fehler", idempotency_key=key())
    response = finance_client.get(reverse("ledger:balances", args=[year.pk]))
    assert row_figures(response, "Ankommen")[:2] == [eur("0,00"), eur("0,00")]
    assert figure(response, "unallocated") == eur("200.000,00")


# --- close -------------------------------------------------------------------------------------
@pytest.fixture
def next_year(year):
    return FiscalYearFactory(fund=year.fund, year=year.year + 1)


def test_close_shows_what_lapses_and_what_is_carried(
    finance_client, year, next_year, field_a, field_b, finance
):
    allocate(year, field_a, "10000.00", finance)
    application = committed_application(year, field_a, "2500.00", finance)
    response = finance_client.get(reverse("ledger:close", args=[year.pk]))
    content = html(response)
    assert response.status_code == 200
    assert eur("190.000,00") in content  # unallocated lapses
    assert application.reference in content  # open commitment carried
    assert eur("7.500,00") in content  # available in field A
    assert f'name="carry_{field_a.pk}"' in content


def test_close_lapses_carries_and_closes(
    finance_client, year, next_year, field_a, field_b, finance
):
    allocate(year, field_a, "10000.00", finance)
    allocate(year, field_b, "5000.00", finance)
    application = committed_application(year, field_a, "2500.00", finance)
    data = {
        f"carry_{field_a.pk}": "3.000,00",
        f"carry_{field_b.pk}": "",
        "reason": "Ratsbeschluss Übertragung",
        "idempotency_key": key(),
    }
    url = reverse("ledger:close", args=[year.pk])
    response = finance_client.post(url, data)
    assert response.context["confirming"] is True
    plan = html(response)
    assert eur("3.000,00") in plan
    assert eur("5.500,00") in plan  # carried: 3.000 of field A and the 2.500 commitment
    assert eur("194.500,00") in plan  # lapses: 185.000 unallocated, 4.500 of A, 5.000 of B
    assert FiscalYear.objects.get(pk=year.pk).state == FiscalYear.State.OPEN

    response = finance_client.post(url, {**data, "confirm": "1"}, follow=True)

    year.refresh_from_db()
    assert year.state == FiscalYear.State.CLOSED
    assert figure(response, "returned") == eur("200.000,00")
    carried_in = Transfer.objects.filter(fiscal_year=next_year, kind=TransferKind.CARRY_IN)
    assert sorted(carried_in.values_list("amount", flat=True)) == [D("2500.00"), D("3000.00")]
    assert Account.objects.get(
        fiscal_year=next_year, kind=AccountKind.COMMITTED, application=application
    ).balance == D("2500.00")
    assert Account.objects.get(
        fiscal_year=next_year, kind=AccountKind.AVAILABLE, action_field=field_a
    ).balance == D("3000.00")
    assert (
        not Account.objects.filter(fiscal_year=year, balance__gt=0)
        .exclude(kind__in=[AccountKind.BUDGET, AccountKind.DISBURSED])
        .exists()
    )

    next_page = finance_client.get(reverse("ledger:balances", args=[next_year.pk]))
    assert figure(next_page, "carried_in") == eur("5.500,00")

    # a double click on "close" books nothing more
    before = Transfer.objects.count()
    response = finance_client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 200
    assert messages_of(response)
    assert Transfer.objects.count() == before


def test_carrying_more_than_available_books_nothing(
    finance_client, year, next_year, field_a, finance
):
    allocate(year, field_a, "1000.00", finance)
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:close", args=[year.pk]),
        {
            f"carry_{field_a.pk}": "1.000,01",
            "reason": "Übertragung",
            "idempotency_key": key(),
            "confirm": "1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors[f"carry_{field_a.pk}"]
    assert Transfer.objects.count() == before
    assert FiscalYear.objects.get(pk=year.pk).state == FiscalYear.State.OPEN


@pytest.mark.parametrize("amount", ["-1", "1,234", "abc"])
def test_bad_carry_over_amounts_book_nothing(
    finance_client, year, next_year, field_a, finance, amount
):
    allocate(year, field_a, "1000.00", finance)
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:close", args=[year.pk]),
        {
            f"carry_{field_a.pk}": amount,
            "reason": "Übertragung",
            "idempotency_key": key(),
            "confirm": "1",
        },
    )
    assert response.context["form"].errors[f"carry_{field_a.pk}"]
    assert Transfer.objects.count() == before


def test_closing_needs_a_reason(finance_client, year, next_year):
    response = finance_client.post(
        reverse("ledger:close", args=[year.pk]),
        {"reason": "", "idempotency_key": key(), "confirm": "1"},
    )
    assert response.context["form"].errors["reason"]
    assert FiscalYear.objects.get(pk=year.pk).state == FiscalYear.State.OPEN


def test_closing_without_a_next_year_refuses_a_carry_over(finance_client, year, field_a, finance):
    allocate(year, field_a, "1000.00", finance)
    before = Transfer.objects.count()
    response = finance_client.post(
        reverse("ledger:close", args=[year.pk]),
        {
            f"carry_{field_a.pk}": "100",
            "reason": "Übertragung",
            "idempotency_key": key(),
            "confirm": "1",
        },
    )
    [message] = messages_of(response)
    assert str(year.year + 1) in message
    assert Transfer.objects.count() == before
    assert FiscalYear.objects.get(pk=year.pk).state == FiscalYear.State.OPEN


def test_a_closed_year_offers_no_booking_buttons(finance_client, year, finance):
    services.close_fiscal_year(fiscal_year=year, by=finance, reason="Ende", idempotency_key=key())
    page = finance_client.get(reverse("ledger:balances", args=[year.pk])).content.decode()
    assert reverse("ledger:allocate", args=[year.pk]) not in page
    assert reverse("ledger:close", args=[year.pk]) not in page


# --- journal -----------------------------------------------------------------------------------
def test_the_journal_lists_newest_first_with_every_column(finance_client, year, field_a, finance):
    allocate(year, field_a, "1000.00", finance, reason="Tranche eins")
    response = finance_client.get(reverse("ledger:journal", args=[year.pk]))
    transfers = list(response.context["page_obj"])
    assert [t.sequence for t in transfers] == [2, 1]
    content = html(response)
    assert "Tranche eins" in content
    assert eur("1.000,00") in content
    assert finance.username in content


def test_the_journal_is_paginated(finance_client, year, field_a, finance, settings):
    settings.FM_PAGE_SIZE = 3
    for _ in range(6):
        allocate(year, field_a, "1.00", finance)
    response = finance_client.get(reverse("ledger:journal", args=[year.pk]), {"page": 2})
    assert [t.sequence for t in response.context["page_obj"]] == [4, 3, 2]
    assert response.context["page_obj"].paginator.num_pages == 3


def test_journal_filters(finance_client, year, field_a, field_b, finance):
    allocate(year, field_a, "100.00", finance)
    allocate(year, field_b, "200.00", finance)
    application = committed_application(year, field_a, "50.00", finance)
    url = reverse("ledger:journal", args=[year.pk])
    available_a = Account.objects.get(kind=AccountKind.AVAILABLE, action_field=field_a)

    def kinds(**params):
        response = finance_client.get(url, params)
        assert response.status_code == 200
        return sorted(t.kind for t in response.context["page_obj"])

    assert kinds(account=available_a.pk) == ["allocation", "commitment"]
    assert kinds(kind="allocation") == ["allocation", "allocation"]
    assert kinds(kind=["budget", "commitment"]) == ["budget", "commitment"]
    assert kinds(application=application.reference) == ["commitment"]
    assert kinds(application=application.reference.lower()) == ["commitment"]
    assert kinds(action_field=field_b.pk) == ["allocation"]
    assert kinds(account_kind="committed") == ["commitment"]
    assert kinds(number=1) == ["budget"]


def test_journal_date_filters(finance_client, year, field_a, finance, monkeypatch):
    old = timezone.make_aware(timezone.datetime(year.year, 3, 1, 12, 0))
    with monkeypatch.context() as patch:
        patch.setattr(posting.timezone, "now", lambda: old)
        allocate(year, field_a, "100.00", finance)
    allocate(year, field_a, "200.00", finance)
    url = reverse("ledger:journal", args=[year.pk])
    today = timezone.localdate().isoformat()

    def amounts(**params):
        response = finance_client.get(url, params)
        return sorted(t.amount for t in response.context["page_obj"] if t.kind == "allocation")

    assert amounts(date_to=f"{year.year}-03-01") == [D("100.00")]
    assert amounts(date_from=f"{year.year}-03-02") == [D("200.00")]
    assert amounts(date_from=f"{year.year}-03-01", date_to=today) == [D("100.00"), D("200.00")]


def test_an_invalid_filter_is_shown_and_lists_nothing(finance_client, year):
    response = finance_client.get(
        reverse("ledger:journal", args=[year.pk]), {"account": "999999", "date_from": "gestern"}
    )
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert list(response.context["page_obj"]) == []


def test_the_journal_offers_reversal_to_finance_only(client, year, field_a, finance):
    transfer = allocate(year, field_a, "100.00", finance)
    budget = Transfer.objects.get(fiscal_year=year, kind=TransferKind.BUDGET)
    link = reverse("ledger:reverse", args=[transfer.pk])
    client.force_login(finance)
    page = client.get(reverse("ledger:journal", args=[year.pk])).content.decode()
    assert link in page
    assert reverse("ledger:reverse", args=[budget.pk]) not in page
    client.force_login(user_with_role("auditor"))
    page = client.get(reverse("ledger:journal", args=[year.pk])).content.decode()
    assert link not in page


@pytest.mark.parametrize("count", [5, 40])
def test_the_journal_has_a_constant_number_of_queries(
    finance_client, year, field_a, field_b, finance, count, django_assert_max_num_queries
):
    for index in range(count):
        allocate(year, field_a if index % 2 else field_b, "1.00", finance)
    application = committed_application(year, field_a, "1.50", finance)
    services.reverse_transfer(
        transfer=Transfer.objects.filter(
            kind=TransferKind.ALLOCATION, target__action_field=field_b
        ).first(),
        by=finance,
        reason="Fehler",
        idempotency_key=key(),
    )
    assert application.reference
    url = reverse("ledger:journal", args=[year.pk])
    # session, user, 2 permissions, year, count, page, roles (navigation), 2 filter choices
    with django_assert_max_num_queries(10):
        response = finance_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 40])
def test_the_balances_page_has_a_constant_number_of_queries(
    finance_client, year, finance, count, django_assert_max_num_queries
):
    fields = [ActionFieldFactory(fund=year.fund) for _ in range(4)]
    for index in range(count):
        allocate(year, fields[index % 4], "1.00", finance)
    url = reverse("ledger:balances", args=[year.pk])
    with django_assert_max_num_queries(11):
        assert finance_client.get(url).status_code == 200


# --- admin -------------------------------------------------------------------------------------
def test_the_admin_is_read_only(rf, year, field_a, finance, admin_user, client):
    transfer = allocate(year, field_a, "100.00", finance)
    request = rf.get("/")
    request.user = admin_user
    for model, admin_class in ((Transfer, TransferAdmin), (Account, AccountAdmin)):
        model_admin = admin_class(model, admin.site)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, None)
        assert not model_admin.has_delete_permission(request, None)
        assert not model_admin.get_actions(request)
        assert "import_export" not in " ".join(c.__module__ for c in admin_class.__mro__)
    client.force_login(admin_user)
    assert client.get(reverse("admin:ledger_transfer_changelist")).status_code == 200
    page = client.get(reverse("admin:ledger_transfer_change", args=[transfer.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:ledger_transfer_add")).status_code == 403
    assert client.get(reverse("admin:ledger_account_changelist")).status_code == 200
