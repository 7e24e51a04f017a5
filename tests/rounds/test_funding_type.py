"""Issue 11, deliver 1: the chair's proposal carries the funding type (the fund's default
unless chosen), the notice prints it with its paragraph, and the proof of use follows the
fund's number of months instead of a constant."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from fund_manager.core.errors import InvalidInput
from fund_manager.rounds import documents, services
from fund_manager.rounds.models import AgendaItem, ItemState
from policies.funding import FundingType
from tests.conftest import module_data
from tests.rounds.conftest import build_setting
from tests.rounds.test_minutes_and_notices import client_for, opened, to_state
from tests.rounds.test_session import eligible_application, vote_all
from workflows import rounds as round_use_cases

pytestmark = pytest.mark.django_db
D = Decimal

TYPE_TEXT = {
    FundingType.DEFICIT: ("Fehlbedarfsfinanzierung", "ermäßigt sich die Zuwendung um den vollen"),
    FundingType.SHARE: ("Anteilfinanzierung", "anteilig im Verhältnis der Finanzierungsanteile"),
    FundingType.FIXED: ("Festbetragsfinanzierung", "Sie ermäßigt sich nicht"),
}


@module_data
def decided():
    """Round 1 in session with three items; each gets a proposal of another funding type, then
    the session closes (all approved)."""
    setting = build_setting()
    applications = [eligible_application(setting, amounts=(D("300.00"),)) for _ in range(3)]
    items = opened(setting, *applications)
    to_state(setting, "in_session")
    return {**setting, "items": items}


def _approve_all(setting, choices):
    chair = setting["chair"]
    for item, choice in zip(setting["items"], choices, strict=True):
        services.set_proposal(
            item=item, amount=D("300.00"), conditions="", by=chair, funding_type=choice
        )
        vote_all(setting, item, ["yes"] * 4)
    round_use_cases.close_session(funding_round=setting["round"], by=chair)
    return [AgendaItem.objects.get(pk=item.pk) for item in setting["items"]]


def test_the_proposal_stores_the_chosen_type_or_the_funds_default(decided):
    fund = decided["year"].fund
    fund.default_funding_type = FundingType.SHARE
    fund.save(update_fields=["default_funding_type"])

    items = _approve_all(decided, [None, FundingType.FIXED, FundingType.DEFICIT])

    assert [item.funding_type for item in items] == ["share", "fixed", "deficit"]
    assert all(item.state == ItemState.APPROVED for item in items)


def test_an_unknown_funding_type_is_refused_and_changes_nothing(decided):
    item = decided["items"][0]
    with pytest.raises(InvalidInput) as refused:
        services.set_proposal(
            item=item, amount=D("300.00"), conditions="", by=decided["chair"], funding_type="gift"
        )
    assert "funding_type" in refused.value.fields
    assert AgendaItem.objects.get(pk=item.pk).proposed_amount is None


@pytest.mark.parametrize("kind", list(FundingType))
def test_the_notice_prints_the_chosen_funding_type_with_its_paragraph(decided, kind):
    items = _approve_all(decided, [kind, kind, kind])
    html = documents.notice_html(items[0])

    label, paragraph = TYPE_TEXT[kind]
    assert f'<th scope="row">Finanzierungsart</th><td>{label}</td>' in html
    assert paragraph in html
    for other, (other_label, other_paragraph) in TYPE_TEXT.items():
        if other != kind:
            assert other_paragraph not in html
            assert f"als {other_label} gewährt" not in html


def test_the_notice_pdf_is_built_for_a_share_financing(decided):
    items = _approve_all(decided, [FundingType.SHARE] * 3)
    assert documents.notice_pdf(items[0]).startswith(b"%PDF")
    # 300.00 of 300.00 eligible costs: the share is printed.
    assert "100,00 %" in documents.notice_html(items[0])


def test_proof_of_use_months_come_from_the_fund(decided):
    fund = decided["year"].fund
    fund.proof_of_use_months = 3
    fund.save(update_fields=["proof_of_use_months"])
    items = _approve_all(decided, [None] * 3)
    item = items[0]
    end = item.application.end_date

    context = documents.notice_context(item)

    assert context["proof_of_use_months"] == 3
    expected = datetime.date(end.year + (end.month + 2) // 12, (end.month + 2) % 12 + 1, 1)
    assert context["proof_of_use_due"] == documents.proof_of_use_due(end, 3)
    assert context["proof_of_use_due"].replace(day=1) == expected
    assert "innerhalb von 3 Monaten" in documents.notice_html(item)


def test_the_api_takes_and_shows_the_funding_type(decided):
    item = decided["items"][0]
    client = client_for(decided["chair"])
    url = reverse("api:agenda-item-proposal", args=[item.pk])

    answer = client.post(url, {"amount": "300.00", "funding_type": "fixed"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["funding_type"] == "fixed"

    refused = client.post(url, {"amount": "300.00", "funding_type": "gift"}, format="json")
    assert refused.status_code == 400
    assert "funding_type" in refused.json()
    assert AgendaItem.objects.get(pk=item.pk).funding_type == "fixed"


def test_the_session_page_offers_the_funding_type(decided):
    decided["chair"].refresh_from_db()
    client = Client()
    client.force_login(decided["chair"])
    item = decided["items"][0]
    page = client.get(reverse("rounds:session", args=[decided["round"].pk]))
    assert page.status_code == 200
    assert f'name="item-{item.pk}-funding_type"' in page.content.decode()

    posted = client.post(
        reverse("rounds:proposal", args=[decided["round"].pk, item.pk]),
        {
            f"item-{item.pk}-amount": "250,00",
            f"item-{item.pk}-conditions": "",
            f"item-{item.pk}-funding_type": "share",
        },
    )
    assert posted.status_code == 302
    stored = AgendaItem.objects.get(pk=item.pk)
    assert (stored.proposed_amount, stored.funding_type) == (D("250.00"), "share")
