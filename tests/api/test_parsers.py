"""The API's JSON parser (fund_manager/api/parsers.py): deep nesting and broken JSON are a 400
``{"detail", "code"}`` in German, never a 500, and nothing is saved."""

import io

import pytest
from rest_framework.exceptions import ParseError

from fund_manager.api.parsers import MAX_DEPTH, BoundedJSONParser, nesting_depth_exceeds
from fund_manager.applications.models import Application
from fund_manager.core.models import AuditEntry
from fund_manager.ledger.models import Transfer
from tests.factories import ApplicationFactory, funded_year

DEEP = "[" * 5000 + "]" * 5000
TOO_DEEP = {
    "detail": f"Der Inhalt der Anfrage ist zu tief verschachtelt: höchstens {MAX_DEPTH} Ebenen "
    "sind erlaubt.",
    "code": "nesting_too_deep",
}


def nested(levels):
    """``levels`` arrays inside each other around a string."""
    return "[" * levels + '"x"' + "]" * levels


def parse(text):
    return BoundedJSONParser().parse(io.BytesIO(text.encode()), parser_context={})


def test_the_parser_takes_the_allowed_depth():
    assert parse(nested(MAX_DEPTH)) is not None
    assert parse('{"a": {"b": [1, 2, {"c": "1.00"}]}}') == {"a": {"b": [1, 2, {"c": "1.00"}]}}


@pytest.mark.parametrize("text", [nested(MAX_DEPTH + 1), DEEP, '{"a":' * 5000 + "1" + "}" * 5000])
def test_defect_09_the_parser_refuses_deep_nesting(text):
    with pytest.raises(ParseError) as refused:
        parse(text)

    assert refused.value.get_codes() == "nesting_too_deep"


def test_nesting_depth_counts_arrays_and_objects():
    assert not nesting_depth_exceeds("x", 0)
    assert not nesting_depth_exceeds({"a": [1]}, 2)
    assert nesting_depth_exceeds({"a": [1]}, 1)
    assert nesting_depth_exceeds([[], [[[]]]], 3)


def _raw(client, method, url, body):
    return getattr(client, method)(url, data=body, content_type="application/json")


def test_defect_09_a_deep_application_body_is_a_400_and_nothing_is_saved(
    api, provider, fiscal_year
):
    before = (Application.objects.count(), AuditEntry.objects.count())

    response = _raw(api(provider), "post", "/api/v1/applications/", DEEP)

    assert response.status_code == 400
    assert response.json() == TOO_DEEP
    assert (Application.objects.count(), AuditEntry.objects.count()) == before


def test_defect_09_a_deep_title_in_a_patch_is_a_400_and_changes_nothing(
    api, provider, organisation
):
    draft = ApplicationFactory(organisation=organisation, title="Sprachcafé")

    response = _raw(
        api(provider), "patch", f"/api/v1/applications/{draft.pk}/", '{"title": ' + DEEP + "}"
    )

    assert response.status_code == 400
    assert response.json() == TOO_DEEP
    draft.refresh_from_db()
    assert draft.title == "Sprachcafé"


def test_defect_09_a_deep_booking_is_a_400_and_books_nothing(api, finance):
    year = funded_year(finance=finance, year=2031)
    before = Transfer.objects.count()

    response = _raw(
        api(finance),
        "post",
        f"/api/v1/fiscal-years/{year.pk}/allocations/",
        '{"action_field": "sprache", "amount": ' + DEEP + "}",
    )

    assert response.status_code == 400
    assert response.json() == TOO_DEEP
    assert Transfer.objects.count() == before


def test_defect_09_a_deep_token_request_is_a_400(api, db):
    response = _raw(api(), "post", "/api/v1/auth/token/", DEEP)

    assert response.status_code == 400
    assert response.json() == TOO_DEEP


def test_broken_json_is_a_german_400_with_the_place(api, provider, fiscal_year):
    before = Application.objects.count()

    response = _raw(api(provider), "post", "/api/v1/applications/", '{"title": "x",\n  oops}')

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Der Inhalt der Anfrage ist kein gültiges JSON (Zeile 2, Spalte 3).",
        "code": "parse_error",
    }
    assert Application.objects.count() == before


def test_nan_is_refused_as_json(api, provider, fiscal_year):
    response = _raw(api(provider), "post", "/api/v1/applications/", '{"title": NaN}')

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "NaN" in response.json()["detail"]
