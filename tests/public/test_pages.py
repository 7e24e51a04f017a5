"""The public pages (issue 12, items 4 and 8): no login, only what is public."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from fund_manager.applications.models import Application
from fund_manager.organisations.models import Organisation
from fund_manager.public import checks
from fund_manager.rounds.models import FundingRound, RoundState
from tests.factories import ApplicationFactory, FiscalYearFactory

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["public:rounds", "public:easy", "public:imprint", "public:privacy", "accessibility"]


@pytest.fixture
def demo(demo_data):
    """The whole demo, seeded once for this module (tests/conftest.py: demo_data)."""
    return demo_data


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_need_no_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b'href="/foerderung/leichte-sprache/"' in response.content  # linked (footer)


def test_rounds_page_shows_the_demo_rounds_of_this_year(client, demo):
    response = client.get(reverse("public:rounds"))
    assert response.status_code == 200
    html = response.content.decode()
    year = timezone.localdate().year
    rounds = FundingRound.objects.filter(fiscal_year__year=year).order_by("number")
    assert rounds.count() >= 1
    for funding_round in rounds:
        assert f"Förderrunde {funding_round}" in html
        assert f"{funding_round.submission_deadline:%d.%m.%Y}" in html
        assert f"{funding_round.session_date:%d.%m.%Y}" in html
    # Other years' rounds are not listed.
    assert f"Förderrunde {demo.year_2017.year}/1" not in html
    assert "Einreichungsfrist" in html
    assert "Sitzung der Lenkungsgruppe" in html
    assert "Haushaltsansatz" in html
    assert "So beantragen Sie eine Förderung" in html
    # The round still open for submissions is highlighted as the next deadline.
    following = rounds.filter(
        state__in=[RoundState.PLANNED, RoundState.OPEN],
        submission_deadline__gte=timezone.localdate(),
    ).first()
    if following is not None:
        assert "Nächste Einreichungsfrist" in html
        assert re.search(r"fm-round--next.*?Förderrunde " + re.escape(str(following)), html, re.S)


def test_rounds_page_shows_nothing_that_is_not_public(client, demo):
    html = client.get(reverse("public:rounds")).content.decode()
    titles = set(Application.objects.values_list("title", flat=True))
    organisations = set(Organisation.objects.values_list("name", flat=True))
    users = get_user_model().objects.all()
    assert titles
    assert organisations
    for title in titles:
        assert title not in html
    for name in organisations:
        assert name not in html
    for user in users:
        if user.email:
            assert user.email not in html
        full_name = user.get_full_name()
        if full_name.strip():
            assert full_name not in html
    # No amounts per applicant: none of the requested or approved amounts appear.
    for amount in Application.objects.exclude(requested_amount=0).values_list(
        "requested_amount", flat=True
    ):
        formatted = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        assert f"{formatted} €" not in html
    assert "/applications/" not in html


def test_rounds_page_marks_cancelled_and_past_rounds(client):
    year = FiscalYearFactory()
    today = timezone.localdate()
    FundingRound.objects.create(
        fiscal_year=year, number=1, submission_deadline=today, session_date=today
    )
    FundingRound.objects.filter(fiscal_year=year, number=1).update(state=RoundState.CANCELLED)
    secret = ApplicationFactory(fiscal_year=year, title="Geheimes Projekt XYZ")
    html = client.get(reverse("public:rounds")).content.decode()
    assert "Abgesagt" in html
    assert "(abgesagt)" in html
    assert secret.title not in html
    assert secret.organisation.name not in html


LEGAL = {
    "FM_OPERATOR_NAME": "Stadt Musterstadt",
    "FM_OPERATOR_ADDRESS": "Rathausplatz 1; 12345 Musterstadt",
    "FM_OPERATOR_REPRESENTATIVE": "Die Bürgermeisterin Erika Muster",
    "FM_OPERATOR_EMAIL": "fonds@musterstadt.example",
    "FM_OPERATOR_PHONE": "+49 123 4567-0",
    "FM_OPERATOR_SUPERVISION": "Bezirksregierung Musterbezirk",
    "FM_PRIVACY_DPO": "Datenschutzbeauftragter Max Muster",
    "FM_PRIVACY_DPO_EMAIL": "datenschutz@musterstadt.example",
    "FM_PRIVACY_AUTHORITY": "Landesbeauftragte für Datenschutz Musterland",
}


@override_settings(**LEGAL)
def test_imprint_shows_the_configured_operator(client):
    html = client.get(reverse("public:imprint")).content.decode()
    for value in (
        "Stadt Musterstadt",
        "Rathausplatz 1",
        "12345 Musterstadt",
        "Die Bürgermeisterin Erika Muster",
        "fonds@musterstadt.example",
        "+49 123 4567-0",
        "Bezirksregierung Musterbezirk",
        "§ 5 Digitale-Dienste-Gesetz",
    ):
        assert value in html
    assert "Beispiel" not in html
    assert "Herne" not in html.split("<main", 1)[1]


@override_settings(**LEGAL)
def test_privacy_notice_shows_the_configured_controller_and_the_rights(client):
    html = client.get(reverse("public:privacy")).content.decode()
    for value in (
        "Stadt Musterstadt",
        "Datenschutzbeauftragter Max Muster",
        "datenschutz@musterstadt.example",
        "Landesbeauftragte für Datenschutz Musterland",
        "Art. 15 DSGVO",
        "Art. 77 DSGVO",
        "Bankverbindung",
        "10 Jahre",
        "6 Jahre",
    ):
        assert value in html
    assert "Beispiel:" not in html


@override_settings(FM_OPERATOR_ADDRESS="", FM_PRIVACY_DPO="")
def test_unset_details_show_the_example_marked_as_such(client):
    html = client.get(reverse("public:imprint")).content.decode()
    assert "Beispiel:" in html
    assert "Friedrich-Ebert-Platz 2" in html  # the demo city's example


@override_settings(DEBUG=False, FM_OPERATOR_ADDRESS="", FM_OPERATOR_EMAIL="")
def test_check_warns_in_production_while_unset():
    warnings = checks.imprint_configured()
    assert [w.id for w in warnings] == ["fund_manager.public.W001"]
    assert "FM_OPERATOR_ADDRESS" in warnings[0].msg
    with override_settings(DEBUG=True):
        assert checks.imprint_configured() == []
    with override_settings(**LEGAL):
        assert checks.imprint_configured() == []


@override_settings(DEBUG=False, FM_OPERATOR_ADDRESS="")
def test_manage_py_check_reports_the_warning(capsys):
    call_command("check")
    assert "fund_manager.public.W001" in capsys.readouterr().err


def test_easy_language_page_explains_the_words(client):
    html = client.get(reverse("public:easy")).content.decode()
    for text in ("Was ist ein Antrag?", "Ein Antrag ist ein Formular.", "Lenkungsgruppe", "Frist"):
        assert text in html
    assert reverse("public:rounds") in html


@override_settings(FM_OPERATOR_EMAIL="barrieren@musterstadt.example")
def test_accessibility_statement_names_contact_kern_and_date(client):
    html = client.get(reverse("accessibility")).content.decode()
    assert "barrieren@musterstadt.example" in html
    assert "BITV 2.0" in html
    assert "KERN" in html
    assert "Bekannte Einschränkungen" in html
    assert re.search(r"zuletzt am \d\d\.\d\d\.\d{4} überprüft", html)
