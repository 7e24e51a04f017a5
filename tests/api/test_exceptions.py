"""Every non-field error of the API is ``{"detail", "code"}``, field errors are
``{"<field>": ["message"]}``, and all are German unless the caller chose English
(fund_manager/api/exceptions.py; issue 9, defect 13)."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from fund_manager.api.exceptions import exception_handler
from fund_manager.ledger import services
from fund_manager.ledger.models import Transfer
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FundFactory,
    funded_year,
)

NOT_FOUND = {"detail": "Nicht gefunden.", "code": "not_found"}
NOT_AUTHENTICATED = {"detail": "Anmeldedaten fehlen.", "code": "not_authenticated"}


@pytest.fixture
def year(finance):
    sprache = ActionFieldFactory(fund=FundFactory(), code="sprache", name="Sprache", position=1)
    return funded_year(
        finance=finance, year=2031, budget="1000.00", allocations={sprache: "300.00"}
    )


def not_allowed(method):
    return {"detail": f'Methode "{method}" nicht erlaubt.', "code": "method_not_allowed"}


# --- 404 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/transfers/999999/",
        "/api/v1/fiscal-years/999999/",
        "/api/v1/fiscal-years/999999/balances/",
        "/api/v1/fiscal-years/999999/transfers/",
        "/api/v1/applications/999999/",
        "/api/v1/applications/999999/history/",
        "/api/v1/rounds/999999/",
        "/api/v1/agenda-items/999999/",
        # Not routed at all: an id that is no number, an unknown endpoint.
        "/api/v1/transfers/abc/",
        "/api/v1/no-such-thing/",
    ],
)
def test_defect_13_a_404_is_german_with_a_code(api, finance, path):
    response = api(finance).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/fiscal-years/999999/allocations/"),
        ("post", "/api/v1/transfers/999999/reversal/"),
        ("post", "/api/v1/applications/999999/submit/"),
        ("patch", "/api/v1/applications/999999/"),
    ],
)
def test_defect_13_a_404_on_a_write_is_german_with_a_code_and_books_nothing(
    api, finance, year, method, path
):
    before = Transfer.objects.count()

    response = getattr(api(finance), method)(path, {"amount": "1.00"}, format="json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert Transfer.objects.count() == before


def test_defect_13_another_organisations_application_is_the_same_404(api, provider, other_provider):
    foreign = ApplicationFactory()

    response = api(provider).get(f"/api/v1/applications/{foreign.pk}/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_the_unrouted_404_keeps_the_redirect_to_the_slash(api, finance):
    response = api(finance).get("/api/v1/funds")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/funds/"


# --- 401 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/funds/"),
        ("get", "/api/v1/transfers/1/"),
        ("get", "/api/v1/fiscal-years/1/balances/"),
        ("post", "/api/v1/applications/"),
        ("post", "/api/v1/rounds/"),
    ],
)
def test_defect_13_without_credentials_a_german_401_with_a_code(db, method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_defect_13_a_wrong_token_is_a_german_401_with_a_code(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = client.get("/api/v1/funds/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Ungültiges Token", "code": "authentication_failed"}


# --- 403 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/fiscal-years/{year}/balances/"),
        ("get", "/api/v1/fiscal-years/{year}/transfers/"),
        ("post", "/api/v1/fiscal-years/{year}/allocations/"),
        ("post", "/api/v1/rounds/"),
    ],
)
def test_defect_13_a_role_that_may_not_is_a_german_403_with_a_code(
    api, provider, year, method, path
):
    before = Transfer.objects.count()

    response = getattr(api(provider), method)(
        path.format(year=year.pk), {"action_field": "sprache", "amount": "1.00"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Dazu sind Sie nicht berechtigt.", "code": "not_permitted"}
    assert Transfer.objects.count() == before


# --- 405, 415, 406 ------------------------------------------------------------------------------
def test_defect_13_a_method_that_is_not_offered_is_a_german_405_with_a_code(
    api, finance, provider, organisation, year
):
    draft = ApplicationFactory(organisation=organisation)
    transfer = Transfer.objects.filter(fiscal_year=year).first()

    balances = api(finance).post(f"/api/v1/fiscal-years/{year.pk}/balances/", {}, format="json")
    put = api(provider).put(f"/api/v1/applications/{draft.pk}/", {}, format="json")
    delete = api(finance).delete(f"/api/v1/transfers/{transfer.pk}/")
    years = api(finance).post("/api/v1/fiscal-years/", {}, format="json")

    assert (balances.status_code, put.status_code, delete.status_code) == (405, 405, 405)
    assert balances.json() == not_allowed("POST")
    assert put.json() == not_allowed("PUT")
    assert delete.json() == not_allowed("DELETE")
    assert years.json() == not_allowed("POST")
    assert Transfer.objects.filter(pk=transfer.pk).exists()


def test_defect_13_an_unsupported_body_is_a_german_415_with_a_code(api, finance, year):
    before = Transfer.objects.count()

    response = api(finance).post(
        f"/api/v1/fiscal-years/{year.pk}/allocations/",
        "action_field=sprache",
        content_type="text/plain",
    )

    assert response.status_code == 415
    assert response.json() == {
        "detail": 'Nicht unterstützter Medientyp "text/plain" in der Anfrage.',
        "code": "unsupported_media_type",
    }
    assert Transfer.objects.count() == before


def test_defect_13_an_unsatisfiable_accept_header_is_a_406_with_a_code(api, finance):
    response = api(finance).get("/api/v1/funds/", HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert response.json() == {
        "detail": "Kann die Accept Kopfzeile der Anfrage nicht erfüllen.",
        "code": "not_acceptable",
    }


# --- 409 and 400 --------------------------------------------------------------------------------
def test_defect_13_a_state_refusal_is_a_german_409_with_a_code(api, finance, year):
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    before = Transfer.objects.count()

    response = api(finance).post(
        f"/api/v1/fiscal-years/{year.pk}/budget/", {"amount": "2000.00"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Das Haushaltsjahr 2031 ist abgeschlossen: Es nimmt keine Buchungen mehr an.",
        "code": "fiscal_year_closed",
    }
    assert Transfer.objects.count() == before


def test_defect_13_field_errors_keep_their_shape_in_german(api, finance, year):
    before = Transfer.objects.count()

    response = api(finance).post(
        f"/api/v1/fiscal-years/{year.pk}/allocations/", {"action_field": "sport"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "action_field": ["In diesem Fonds gibt es kein Handlungsfeld „sport“."],
        "amount": ["Dieses Feld ist zwingend erforderlich."],
    }
    assert Transfer.objects.count() == before


# --- the language -------------------------------------------------------------------------------
def test_defect_13_the_browser_language_does_not_switch_to_english(api, finance):
    response = api(finance).get("/api/v1/transfers/999999/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json() == NOT_FOUND


def test_the_chosen_language_is_used(api, finance):
    client = api(finance)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/api/v1/transfers/999999/")

    assert response.json() == {"detail": "Not found.", "code": "not_found"}


# --- the handler for what the endpoints above cannot provoke ------------------------------------
class _AlwaysThrottled(BaseThrottle):
    def allow_request(self, request, view):
        return False

    def wait(self):
        return 30


class _ThrottledView(APIView):
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = (_AlwaysThrottled,)

    def get(self, request):
        raise AssertionError("never reached")


def test_defect_13_throttling_is_a_german_429_with_a_code_and_the_wait():
    with translation.override("de"):
        response = _ThrottledView.as_view()(APIRequestFactory().get("/"))

    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.data == {
        "detail": "Zu viele Anfragen. Bitte versuchen Sie es in 30 Sekunden erneut.",
        "code": "throttled",
        "wait": 30,
    }


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (Http404("No Transfer matches the given query."), 404, NOT_FOUND),
        (
            DjangoPermissionDenied(),
            403,
            {
                "detail": "Sie sind nicht berechtigt, diese Aktion durchzuführen.",
                "code": "permission_denied",
            },
        ),
        (
            exceptions.ValidationError("Bitte prüfen Sie die Angaben."),
            400,
            {"non_field_errors": ["Bitte prüfen Sie die Angaben."]},
        ),
    ],
)
def test_defect_13_the_handler_answers_every_kind_in_german(exc, status, body):
    with translation.override("de"):
        response = exception_handler(exc, {})

    assert response.status_code == status
    assert response.data == body


def test_defect_13_the_framework_messages_say_sie(api, finance, year):
    """DRF's German catalogue says "Stelle sicher, …"; the project's catalogue (drf_messages.py)
    makes it formal, like every other message."""
    before = Transfer.objects.count()

    response = api(finance).post(
        f"/api/v1/fiscal-years/{year.pk}/allocations/",
        {"action_field": "sprache", "amount": "1.00", "reason": "x" * 501},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"reason": ["Bitte geben Sie höchstens 500 Zeichen ein."]}
    assert Transfer.objects.count() == before
