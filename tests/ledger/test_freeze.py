"""Spending freeze (Haushaltssperre, issue 11, deliver 7): finance freezes a fiscal year or an
action field with a reason; while frozen, closing a session that would commit money there is
refused as a whole (409 naming the field, nothing booked or decided); lifting is audited and
lets the session close. The pages and the API of the freezes."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from fund_manager.applications.models import State
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.ledger import freezes
from fund_manager.ledger.models import SpendingFreeze, Transfer, TransferKind
from fund_manager.rounds import services as round_services
from fund_manager.rounds.models import RoundState
from tests.conftest import module_data
from tests.factories import (
    ActionFieldFactory,
    FiscalYearFactory,
    FundFactory,
    user_with_role,
)
from tests.rounds.conftest import build_setting
from tests.rounds.test_session import eligible_application, in_session, vote_all

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def year(db):
    return FiscalYearFactory()


@pytest.fixture
def field(year):
    return ActionFieldFactory(fund=year.fund, name="Sprache", code="sprache")


# --- the services -----------------------------------------------------------------------------
def test_finance_freezes_and_lifts_a_field_with_a_reason_audited(year, field, finance):
    freeze = freezes.freeze_spending(
        fiscal_year=year, action_field=field, reason="Haushaltslage", by=finance
    )

    assert freezes.active_freeze(fiscal_year=year, action_field=field) == freeze
    other = ActionFieldFactory(fund=year.fund)
    assert freezes.active_freeze(fiscal_year=year, action_field=other) is None
    entry = AuditEntry.objects.get(action="ledger.spending_frozen")
    assert entry.data["action_field"] == "sprache"
    assert entry.data["reason"] == "Haushaltslage"
    assert entry.data["fiscal_year"] == year.year
    assert entry.actor == finance

    lifted = freezes.lift_freeze(freeze=freeze, reason="Nachtragshaushalt", by=finance)

    assert (lifted.lift_reason, lifted.lifted_by) == ("Nachtragshaushalt", finance)
    assert lifted.lifted_at is not None
    assert freezes.active_freeze(fiscal_year=year, action_field=field) is None
    entry = AuditEntry.objects.get(action="ledger.spending_freeze_lifted")
    assert entry.data["reason"] == "Nachtragshaushalt"
    with pytest.raises(freezes.FreezeError) as again:
        freezes.lift_freeze(freeze=freeze, reason="nochmal", by=finance)
    assert again.value.code == "already_lifted"


def test_a_year_freeze_stops_every_field(year, field, finance):
    freeze = freezes.freeze_spending(fiscal_year=year, reason="Sperre", by=finance)
    assert freezes.active_freeze(fiscal_year=year, action_field=field) == freeze
    assert freeze.action_field is None


def test_one_active_freeze_per_year_and_per_field(year, field, finance):
    freezes.freeze_spending(fiscal_year=year, action_field=field, reason="A", by=finance)
    freezes.freeze_spending(fiscal_year=year, reason="B", by=finance)  # the year: its own scope
    for kwargs in ({"action_field": field}, {}):
        with pytest.raises(freezes.FreezeError) as refused:
            freezes.freeze_spending(fiscal_year=year, reason="C", by=finance, **kwargs)
        assert refused.value.code == "already_frozen"
    assert SpendingFreeze.objects.count() == 2


@pytest.mark.parametrize("reason", ["", "   ", "a\x00b"])
def test_a_reason_is_required(year, finance, reason):
    with pytest.raises(InvalidInput) as refused:
        freezes.freeze_spending(fiscal_year=year, reason=reason, by=finance)
    assert "reason" in refused.value.fields
    assert not SpendingFreeze.objects.exists()


def test_a_field_of_another_fund_and_a_closed_year_are_refused(year, finance):
    other_fund_field = ActionFieldFactory(fund=FundFactory(code="anderer"))
    with pytest.raises(InvalidInput):
        freezes.freeze_spending(
            fiscal_year=year, action_field=other_fund_field, reason="x", by=finance
        )
    year.state = "closed"
    year.save(update_fields=["state"])
    with pytest.raises(freezes.FreezeError) as refused:
        freezes.freeze_spending(fiscal_year=year, reason="x", by=finance)
    assert refused.value.code == "fiscal_year_closed"
    assert not SpendingFreeze.objects.exists()


@pytest.mark.parametrize(
    "role", ["provider", "project_office", "chair", "steering_member", "auditor"]
)
def test_only_finance_freezes_and_lifts(year, finance, role):
    user = user_with_role(role)
    with pytest.raises(NotPermitted):
        freezes.freeze_spending(fiscal_year=year, reason="x", by=user)
    freeze = freezes.freeze_spending(fiscal_year=year, reason="x", by=finance)
    with pytest.raises(NotPermitted):
        freezes.lift_freeze(freeze=freeze, reason="y", by=user)
    freeze.refresh_from_db()
    assert freeze.is_active


# --- closing a session ------------------------------------------------------------------------
@module_data
def session():
    """A session with one approved item (600.00 of 1,000.00 in the field "Sprache") and one
    rejected, ready to close (built once per module; what a test changes is rolled back)."""
    setting = build_setting(name="Sprache", code="sprache")
    approved, rejected = eligible_application(setting), eligible_application(setting)
    item_a, item_b = in_session(setting, approved, rejected)
    round_services.set_proposal(item=item_a, amount=D("600.00"), conditions="", by=setting["chair"])
    vote_all(setting, item_a, ["yes"] * 4)
    vote_all(setting, item_b, ["no"] * 4)
    return {**setting, "approved": approved, "rejected": rejected}


def close(session):
    client = APIClient()
    client.force_authenticate(session["chair"])
    return client.post(f"/api/v1/rounds/{session['round'].pk}/close-session/", format="json")


def _nothing_decided(session):
    assert not Transfer.objects.filter(kind=TransferKind.COMMITMENT).exists()
    session["round"].refresh_from_db()
    assert session["round"].state == RoundState.IN_SESSION
    for key in ("approved", "rejected"):
        session[key].refresh_from_db()
        assert session[key].state == State.SCHEDULED


@pytest.mark.parametrize("scope", ["field", "year"])
def test_a_freeze_refuses_closing_the_session_as_a_whole_naming_the_field(session, scope):
    field = session["field"] if scope == "field" else None
    freezes.freeze_spending(
        fiscal_year=session["year"],
        action_field=field,
        reason="Haushaltssperre des Rates",
        by=session["finance"],
    )

    response = close(session)

    assert response.status_code == 409
    assert response.json()["code"] == "spending_frozen"
    detail = response.json()["detail"]
    expected = (
        "„Sprache“" if scope == "field" else f"das ganze Haushaltsjahr {session['year'].year}"
    )
    assert expected in detail
    assert "Haushaltssperre des Rates" in detail
    _nothing_decided(session)


def test_a_freeze_of_another_field_or_a_lifted_one_does_not_stop_the_session(session):
    other = ActionFieldFactory(fund=session["year"].fund, name="Arbeit")
    freezes.freeze_spending(
        fiscal_year=session["year"], action_field=other, reason="x", by=session["finance"]
    )
    freeze = freezes.freeze_spending(
        fiscal_year=session["year"],
        action_field=session["field"],
        reason="x",
        by=session["finance"],
    )
    assert close(session).status_code == 409
    _nothing_decided(session)

    freezes.lift_freeze(freeze=freeze, reason="aufgehoben", by=session["finance"])
    response = close(session)

    assert response.status_code == 200, response.json()
    session["approved"].refresh_from_db()
    assert session["approved"].state == State.APPROVED
    commitment = Transfer.objects.get(kind=TransferKind.COMMITMENT)
    assert commitment.amount == D("600.00")


def test_a_session_that_commits_nothing_closes_while_frozen(session):
    # Both rejected now: the approved item's votes are changed to "no".
    item = session["round"].items.get(application=session["approved"])
    vote_all(session, item, ["no"] * 4)
    freezes.freeze_spending(fiscal_year=session["year"], reason="x", by=session["finance"])

    assert close(session).status_code == 200
    assert not Transfer.objects.filter(kind=TransferKind.COMMITMENT).exists()


# --- the API ----------------------------------------------------------------------------------
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_freeze_api(year, field, finance):
    url = f"/api/v1/fiscal-years/{year.pk}/freezes/"
    created = api(finance).post(url, {"action_field": "sprache", "reason": "Sperre"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["action_field"], body["active"], body["fiscal_year"]) == (
        "sprache",
        True,
        year.year,
    )

    again = api(finance).post(url, {"action_field": "sprache", "reason": "x"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_frozen")
    whole = api(finance).post(url, {"action_field": None, "reason": "Jahr"}, format="json")
    assert (whole.status_code, whole.json()["action_field"]) == (201, None)
    missing = api(finance).post(url, {"reason": ""}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()
    unknown = api(finance).post(url, {"action_field": "nope", "reason": "x"}, format="json")
    assert unknown.status_code == 400
    assert "action_field" in unknown.json()

    listed = api(user_with_role("auditor")).get(url)
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 2

    lift = f"/api/v1/freezes/{body['id']}/lift/"
    assert api(finance).post(lift, {"reason": ""}, format="json").status_code == 400
    lifted = api(finance).post(lift, {"reason": "Aufgehoben"}, format="json")
    assert (lifted.status_code, lifted.json()["active"]) == (200, False)
    assert lifted.json()["lift_reason"] == "Aufgehoben"
    assert api(finance).post(lift, {"reason": "x"}, format="json").status_code == 409


@pytest.mark.parametrize("role", ["provider", "project_office", "auditor"])
def test_only_finance_freezes_over_the_api(year, finance, role):
    user = user_with_role(role)
    url = f"/api/v1/fiscal-years/{year.pk}/freezes/"
    response = api(user).post(url, {"reason": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    freeze = freezes.freeze_spending(fiscal_year=year, reason="x", by=finance)
    lift = api(user).post(f"/api/v1/freezes/{freeze.pk}/lift/", {"reason": "y"}, format="json")
    assert lift.status_code == 403
    assert SpendingFreeze.objects.get().is_active
    if role == "provider":
        assert api(user).get(url).status_code == 403


# --- the pages --------------------------------------------------------------------------------
def test_finance_freezes_and_lifts_on_the_pages_with_a_confirmation(client, year, field, finance):
    client.force_login(finance)
    listing = client.get(f"/ledger/{year.pk}/freezes/")
    assert listing.status_code == 200
    assert "Keine Haushaltssperre aktiv" in listing.content.decode()

    url = f"/ledger/{year.pk}/freezes/new/"
    assert client.get(url).status_code == 200
    data = {"action_field": field.pk, "reason": "Haushaltslage"}
    confirm = client.post(url, data)
    assert "Jetzt sperren" in confirm.content.decode()
    assert not SpendingFreeze.objects.exists()  # only the confirmation page so far
    done = client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302
    freeze = SpendingFreeze.objects.get()
    assert freeze.action_field == field

    again = client.post(url, {**data, "confirm": "1"})
    assert "bereits eine Haushaltssperre" in again.content.decode()

    lift_url = f"/ledger/freezes/{freeze.pk}/lift/"
    page = client.post(lift_url, {"reason": "Nachtrag"})
    assert "Sperre jetzt aufheben" in page.content.decode()
    freeze.refresh_from_db()
    assert freeze.is_active
    assert client.post(lift_url, {"reason": "Nachtrag", "confirm": "1"}).status_code == 302
    freeze.refresh_from_db()
    assert not freeze.is_active
    listing = client.get(f"/ledger/{year.pk}/freezes/")
    assert "Nachtrag" in listing.content.decode()


@pytest.mark.parametrize("role", ["provider", "project_office", "auditor"])
def test_other_roles_cannot_freeze_on_the_pages(client, year, role):
    client.force_login(user_with_role(role))
    assert client.get(f"/ledger/{year.pk}/freezes/new/").status_code == 403
    expected = 403 if role == "provider" else 200
    assert client.get(f"/ledger/{year.pk}/freezes/").status_code == expected
