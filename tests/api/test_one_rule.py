"""One copy of each rule (issue 10): the page's form, the API and the service refuse the same
input with the same message, because all three call the one function of policies/ or core/."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework import serializers

from fund_manager.api.fields import MoneyField
from fund_manager.applications import services
from fund_manager.applications.forms import ApplicationForm
from fund_manager.core.errors import InvalidInput
from fund_manager.core.forms import MoneyFormField
from fund_manager.core.money import require_amount
from fund_manager.core.text import CHANGES_REQUIRED, REASON_REQUIRED
from fund_manager.ledger.posting import validate_amount
from policies.dates import END_BEFORE_START

pytestmark = pytest.mark.django_db


def _german(message):
    with translation.override("de"):
        return str(message)


def test_end_before_start_form_api_and_service_say_the_same(api, provider, draft):
    start = draft.start_date
    end = start - datetime.timedelta(days=1)

    form = ApplicationForm(
        data={"title": draft.title, "start_date": start, "end_date": end},
        fund=draft.fund,
        organisations=None,
        fiscal_year=draft.fiscal_year,
    )
    assert not form.is_valid()
    response = api(provider).patch(
        f"/api/v1/applications/{draft.pk}/", {"end_date": end.isoformat()}, format="json"
    )
    with pytest.raises(InvalidInput) as refused:
        services.update_application(application=draft, by=provider, data={"end_date": end})

    expected = str(END_BEFORE_START)
    assert form.errors["end_date"] == [expected]
    assert response.status_code == 400
    assert response.json()["end_date"] == [_german(END_BEFORE_START)]
    assert [str(m) for m in refused.value.fields["end_date"]] == [expected]


@pytest.mark.parametrize(
    ("typed", "sent", "value"),
    [
        pytest.param("0", "0.00", Decimal("0"), id="zero"),
        pytest.param("1000000000000", "1000000000000.00", Decimal("1000000000000"), id="large"),
    ],
)
def test_amounts_form_api_and_services_say_the_same(typed, sent, value):
    with translation.override("en"):
        form = MoneyFormField()
        with pytest.raises(ValidationError) as in_form:
            form.clean(typed)
        with pytest.raises(serializers.ValidationError) as in_api:
            MoneyField().run_validation(sent)
        with pytest.raises(InvalidInput) as in_service:
            require_amount(value)
        with pytest.raises(InvalidInput) as in_ledger:
            validate_amount(value)

        messages = {
            "form": [str(m) for m in in_form.value.messages],
            "api": [str(m) for m in in_api.value.detail],
            "service": [str(m) for m in in_service.value.fields["amount"]],
            "ledger": [str(m) for m in in_ledger.value.fields["amount"]],
        }
    assert len({tuple(m) for m in messages.values()}) == 1, messages


@pytest.mark.parametrize(
    ("outcome", "service", "message"),
    [
        ("ineligible", services.mark_ineligible, REASON_REQUIRED),
        ("changes_requested", services.request_changes, CHANGES_REQUIRED),
    ],
)
def test_a_missing_note_api_and_service_say_the_same(
    api, office, submitted, outcome, service, message
):
    services.start_review(application=submitted, by=office)
    before = submitted.__class__.objects.get(pk=submitted.pk).state

    response = api(office).post(
        f"/api/v1/applications/{submitted.pk}/review/",
        {"outcome": outcome, "note": "  "},
        format="json",
    )
    with pytest.raises(InvalidInput) as refused:
        service(application=submitted, by=office, note="  ")

    assert response.status_code == 400
    assert response.json()["note"] == [_german(message)]
    assert refused.value.fields == {"note": [message]}
    assert submitted.__class__.objects.get(pk=submitted.pk).state == before
