"""The one hidden idempotency key of every form whose action must happen once (issue 10: one
copy of each rule): the ledger's booking forms and the waiver form share it."""

import uuid

import pytest

from fund_manager.applications.grant_forms import WaiverForm
from fund_manager.core.forms import IdempotentForm
from fund_manager.ledger.forms import BookingForm

MESSAGE = "Dieses Formular ist unvollständig. Bitte laden Sie die Seite neu."


@pytest.mark.parametrize("form_class", [BookingForm, WaiverForm])
def test_the_booking_and_waiver_forms_carry_the_shared_key(form_class):
    assert issubclass(form_class, IdempotentForm)
    key = form_class().fields["idempotency_key"].initial()
    assert isinstance(key, uuid.UUID)
    assert key != form_class().fields["idempotency_key"].initial()  # a new key per rendering


@pytest.mark.parametrize("sent", [None, "", "not-a-uuid"])
def test_a_missing_or_broken_key_is_a_visible_form_error(sent):
    data = {} if sent is None else {"idempotency_key": sent}
    form = IdempotentForm(data=data)
    assert not form.is_valid()
    assert form.non_field_errors() == [MESSAGE]


def test_the_key_is_handed_to_the_service_as_text():
    key = uuid.uuid4()
    form = IdempotentForm(data={"idempotency_key": str(key)})
    assert form.is_valid()
    assert form.key == str(key)
