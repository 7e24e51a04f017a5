"""Signing the minutes of a decided round, through the services, the page and the API.

Moved from test_minutes_and_notices.py (issue 9, defect 19): the decided round is built once for
this module; the helpers stay there."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fund_manager.core.errors import InvalidInput
from fund_manager.rounds import documents, services
from fund_manager.rounds.models import (
    RoundState,
)
from tests.conftest import module_data
from tests.rounds.conftest import build_setting
from tests.rounds.test_minutes_and_notices import (
    actions,
    api_sign_url,
    assert_not_signed,
    client_for,
    entries,
    fresh,
    minutes_row,
    named_chair,
    opened,
    sign_url,
    to_state,
)
from tests.rounds.test_session import eligible_application
from workflows import rounds as round_use_cases

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)


@module_data
def decided():
    """Round 1 decided: one application rejected; the chair is called Clara Chair. Built once
    for the module (each test gets its own copy; what a test changes is rolled back)."""
    setting = build_setting()
    named_chair(setting)
    opened(setting, eligible_application(setting))
    to_state(setting, "decided")
    return setting


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Paula \n  Protokoll\t", "Paula Protokoll"),
        ("P" * 200, "P" * 200),
        ("Paula" + " " * 300 + "Protokoll", "Paula Protokoll"),
    ],
)
def test_the_chair_signs_the_minutes(decided, typed, stored):
    funding_round, chair = decided["round"], decided["chair"]
    html = documents.minutes_html(fresh(funding_round))
    assert "wird bei der Unterzeichnung festgehalten" in html
    started = timezone.now()

    signed = round_use_cases.sign_minutes(funding_round=funding_round, minute_taker=typed, by=chair)

    assert signed.state == RoundState.MINUTED
    state, minute_taker, signed_at, signed_by = minutes_row(funding_round)
    assert (state, minute_taker, signed_by) == (RoundState.MINUTED, stored, chair.pk)
    assert started <= signed_at <= timezone.now()
    assert entries(funding_round, "round.minutes_signed") == [(chair.pk, {"minute_taker": stored})]
    html = documents.minutes_html(fresh(funding_round))
    assert '<th scope="row">Sitzungsleitung</th><td>Clara Chair</td>' in html
    assert f'<th scope="row">Protokollführung</th><td>{stored}</td>' in html
    assert f"{stored}, Protokollführung" in html
    assert "Clara Chair, Vorsitz der Lenkungsgruppe" in html
    assert "von Clara Chair im Fachverfahren als richtig bestätigt" in html
    assert "wird bei der Unterzeichnung festgehalten" not in html
    assert "stellvertretender Vorsitz" not in html


def test_the_minutes_are_signed_once(decided):
    funding_round, chair = decided["round"], decided["chair"]
    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker="Paula Protokoll", by=chair
    )
    first = minutes_row(funding_round)

    with pytest.raises(services.RoundError) as refused:
        round_use_cases.sign_minutes(
            funding_round=funding_round, minute_taker="Someone Else", by=chair
        )

    assert refused.value.code == "round_error"
    assert minutes_row(funding_round) == first
    assert actions(funding_round).count("round.minutes_signed") == 1


@pytest.mark.parametrize("typed", ["", "   ", " \n\t ", None, "P" * 201, "a " * 101])
def test_the_minute_taker_must_be_named_in_at_most_200_characters(decided, typed):
    funding_round = decided["round"]

    with pytest.raises(InvalidInput) as refused:
        round_use_cases.sign_minutes(
            funding_round=funding_round, minute_taker=typed, by=decided["chair"]
        )

    assert list(refused.value.fields) == ["minute_taker"]
    assert_not_signed(funding_round)


def test_the_chair_signs_through_the_page(client, decided):
    funding_round = decided["round"]
    client.force_login(decided["chair"])

    page = client.get(sign_url(funding_round))
    assert page.status_code == 200
    assert page.context["can_sign"] is True
    assert 'name="minute_taker"' in page.content.decode()

    response = client.post(sign_url(funding_round), {"minute_taker": "Paula  Protokoll"})

    assert response.status_code == 302
    assert response["Location"] == reverse("rounds:session", args=[funding_round.pk])
    state, minute_taker, _at, signed_by = minutes_row(funding_round)
    assert (state, minute_taker, signed_by) == (
        RoundState.MINUTED,
        "Paula Protokoll",
        decided["chair"].pk,
    )


@pytest.mark.parametrize("who", ["member", "office"])
def test_others_get_403_on_the_signing_page(client, decided, who):
    funding_round = decided["round"]
    client.force_login(decided["members"][1] if who == "member" else decided["office"])

    assert client.get(sign_url(funding_round)).status_code == 403
    assert client.post(sign_url(funding_round), {"minute_taker": "Paula"}).status_code == 403

    assert_not_signed(funding_round)


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_minute_taker_shows_the_form_again(client, decided, typed):
    funding_round = decided["round"]
    client.force_login(decided["chair"])

    response = client.post(sign_url(funding_round), {"minute_taker": typed})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["minute_taker"]
    assert response.context["can_sign"] is True
    assert_not_signed(funding_round)


def test_the_chair_signs_through_the_api_and_only_once(decided):
    funding_round, chair = decided["round"], decided["chair"]
    api = client_for(chair)

    response = api.post(api_sign_url(funding_round), {"minute_taker": "Paula Protokoll"})

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["state"]) == (funding_round.pk, "minuted")
    assert (body["minute_taker"], body["minutes_signed_by"]) == ("Paula Protokoll", chair.username)
    assert body["minutes_signed_at"] is not None
    first = minutes_row(funding_round)

    again = api.post(api_sign_url(funding_round), {"minute_taker": "Someone Else"})

    assert again.status_code == 409
    assert again.json()["code"] == "round_error"
    assert minutes_row(funding_round) == first
    assert actions(funding_round).count("round.minutes_signed") == 1


@pytest.mark.parametrize("who", ["member", "office"])
def test_others_get_403_from_the_signing_api(decided, who):
    funding_round = decided["round"]
    user = decided["members"][1] if who == "member" else decided["office"]

    response = client_for(user).post(api_sign_url(funding_round), {"minute_taker": "Paula"})

    assert response.status_code == 403
    assert_not_signed(funding_round)


@pytest.mark.parametrize("body", [{"minute_taker": ""}, {"minute_taker": "   "}, {}])
def test_an_empty_minute_taker_is_400_from_the_api(decided, body):
    funding_round = decided["round"]

    response = client_for(decided["chair"]).post(api_sign_url(funding_round), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["minute_taker"]
    assert isinstance(response.json()["minute_taker"], list)
    assert_not_signed(funding_round)


def test_a_member_gets_403_from_the_signing_api_before_the_body_is_looked_at(decided):
    funding_round = decided["round"]

    response = client_for(decided["members"][1]).post(
        api_sign_url(funding_round), {}, format="json"
    )

    assert response.status_code == 403
    assert_not_signed(funding_round)
