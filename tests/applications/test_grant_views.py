"""The pages that change an approval (issue 9, defect 2): "Auf Förderung verzichten" for the
recipient, "Widerruf einleiten" → "Anhörung: Stellungnahme erfassen" → "Widerruf entscheiden"
for the project office; each asks for confirmation first, and a refusal changes nothing."""

import datetime
from decimal import Decimal as D
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from fund_manager.applications.models import Revocation, RevocationStatus
from fund_manager.organisations.models import Membership
from tests.factories import provider_user, user_with_role
from tests.workflows.grant_helpers import (
    APPROVED,
    approved_application,
    assert_books_agree,
    recipient,
    snapshot,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
KEY = "6f1c3a52-8a0d-4a43-9e67-5b3a2b61f0aa"


def page(response):
    return unescape(response.content.decode())


def detail(application):
    return reverse("applications:detail", args=[application.pk])


def test_defect_02_the_pages_offer_the_right_action_to_each_role(client, office):
    application = approved_application()
    client.force_login(recipient(application))
    content = page(client.get(detail(application)))
    assert "Auf Förderung verzichten" in content
    assert "Widerruf einleiten" not in content
    client.force_login(office)
    content = page(client.get(detail(application)))
    assert "Widerruf einleiten" in content
    assert "Auf Förderung verzichten" not in content
    # An office member of the recipient organisation is not offered the revocation.
    own = user_with_role("project_office")
    Membership.objects.create(organisation=application.organisation, user=own)
    client.force_login(own)
    assert "Widerruf einleiten" not in page(client.get(detail(application)))


def test_defect_02_waiver_page_asks_for_confirmation_then_waives(client):
    application = approved_application()
    client.force_login(recipient(application))
    url = reverse("applications:waive", args=[application.pk])
    form = client.get(url)
    assert form.status_code == 200
    key = form.context["form"]["idempotency_key"].value()
    data = {
        "scope": "partial",
        "amount": "134,56",
        "reason": "Geringere Honorare",
        "idempotency_key": key,
    }
    before = snapshot(application)
    confirm = client.post(url, data)
    assert confirm.status_code == 200
    assert "Bitte prüfen und bestätigen Sie" in page(confirm)
    assert "1.000,00" in page(confirm)
    assert snapshot(application) == before  # nothing changed before the confirmation
    done = client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302
    assert_books_agree(application, approved=D("1000.00"))
    shown = page(client.get(detail(application)))
    assert "dass der Zuwendungsempfänger auf einen Teil der Zuwendung zum Antrag" in shown
    assert "Geringere Honorare" in shown
    # The same form sent again (a double click): waived once.
    client.post(url, {**data, "confirm": "1"})
    assert_books_agree(application, approved=D("1000.00"))


def test_defect_02_waiver_page_refusals(client, office):
    application = approved_application()
    url = reverse("applications:waive", args=[application.pk])
    client.force_login(provider_user())
    assert client.get(url).status_code == 404
    client.force_login(office)
    assert client.get(url).status_code == 403
    client.force_login(recipient(application))
    before = snapshot(application)
    response = client.post(
        url,
        {
            "scope": "partial",
            "amount": "2.000,00",
            "reason": "zu viel",
            "idempotency_key": KEY,
            "confirm": "1",
        },
    )
    assert response.status_code == 200
    assert "Sie können höchstens auf den bewilligten Betrag" in page(response)
    assert snapshot(application) == before
    response = client.post(
        url,
        {
            "scope": "partial",
            "reason": "x",
            "idempotency_key": KEY,
        },
    )
    assert "Bitte geben Sie den Betrag ein." in page(response)
    assert snapshot(application) == before


def test_defect_02_revocation_through_the_pages(client, office):
    application = approved_application()
    client.force_login(office)
    url = reverse("applications:revocation_start", args=[application.pk])
    form = client.get(url)
    assert form.context["form"]["response_due"].value() == TODAY + datetime.timedelta(days=14)
    data = {
        "scope": "partial",
        "new_amount": "500,00",
        "ground": "purpose",
        "facts": "Der zweite Kurs hat nicht stattgefunden.",
        "facts_known_on": (TODAY - datetime.timedelta(days=3)).isoformat(),
        "response_due": (TODAY + datetime.timedelta(days=14)).isoformat(),
    }
    assert "Bitte prüfen und bestätigen Sie" in page(client.post(url, data))
    assert not Revocation.objects.exists()
    assert client.post(url, {**data, "confirm": "1"}).status_code == 302
    revocation = Revocation.objects.get()
    assert revocation.intended_amount == D("500.00")
    shown = page(client.get(detail(application)))
    assert "Anhörungsschreiben (PDF)" in shown
    assert "Anhörung: Stellungnahme erfassen" in shown
    assert "Widerruf entscheiden" not in shown  # the hearing still runs
    letter = client.get(
        reverse("applications:hearing_letter", args=[application.pk, revocation.pk])
    )
    assert letter.content.startswith(b"%PDF-")

    decide = reverse("applications:revocation_decide", args=[application.pk, revocation.pk])
    early = client.post(decide, {"reasons": "x", "confirm": "1"})
    assert "Die Anhörung läuft noch" in page(early)
    assert_books_agree(application, approved=APPROVED)

    respond = reverse("applications:revocation_response", args=[application.pk, revocation.pk])
    response = client.post(
        respond, {"response": "Der Kurs fiel krankheitsbedingt aus.", "received_on": TODAY}
    )
    assert response.status_code == 302
    assert "Widerruf entscheiden" in page(client.get(detail(application)))
    assert "Bitte prüfen und bestätigen Sie" in page(
        client.post(decide, {"reasons": "Zweck teilweise verfehlt."})
    )
    assert (
        client.post(decide, {"reasons": "Zweck teilweise verfehlt.", "confirm": "1"}).status_code
        == 302
    )
    revocation.refresh_from_db()
    assert revocation.status == RevocationStatus.DECIDED
    assert_books_agree(application, approved=D("500.00"))
    shown = page(client.get(detail(application)))
    assert "teilweise widerrufen" in shown
    assert "hat die Stellungnahme zur Anhörung zum Antrag" in shown
    notice = client.get(
        reverse("applications:revocation_notice", args=[application.pk, revocation.pk])
    )
    assert notice.content.startswith(b"%PDF-")
    # The recipient downloads both letters from its page.
    client.force_login(recipient(application))
    shown = page(client.get(detail(application)))
    assert "Bescheid (PDF)" in shown
    assert "Anhörung: Stellungnahme erfassen" not in shown


@pytest.mark.parametrize("who", ["recipient", "steering_member", "office_of_recipient"])
def test_defect_02_revocation_pages_refuse_other_roles(client, office, who):
    application = approved_application()
    if who == "recipient":
        user = recipient(application)
    elif who == "office_of_recipient":
        user = user_with_role("project_office")
        Membership.objects.create(organisation=application.organisation, user=user)
    else:
        user = user_with_role(who)
    client.force_login(user)
    assert (
        client.get(reverse("applications:revocation_start", args=[application.pk])).status_code
        == 403
    )
    client.force_login(office)
    client.post(
        reverse("applications:revocation_start", args=[application.pk]),
        {
            "scope": "full",
            "ground": "condition",
            "facts": "Kein Bericht.",
            "facts_known_on": TODAY.isoformat(),
            "response_due": (TODAY + datetime.timedelta(days=14)).isoformat(),
            "confirm": "1",
        },
    )
    revocation = Revocation.objects.get()
    before = snapshot(application)
    client.force_login(user)
    for name in ("revocation_response", "revocation_decide", "revocation_drop"):
        url = reverse(f"applications:{name}", args=[application.pk, revocation.pk])
        assert client.post(url, {"reason": "x", "reasons": "x", "confirm": "1"}).status_code == 403
    assert snapshot(application) == before


def test_defect_02_the_page_warns_when_the_year_runs_out(client, office):
    application = approved_application()
    client.force_login(office)
    url = reverse("applications:revocation_start", args=[application.pk])
    response = client.post(
        url,
        {
            "scope": "full",
            "ground": "condition",
            "facts": "Auflage nicht erfüllt.",
            "facts_known_on": (TODAY - datetime.timedelta(days=350)).isoformat(),
            "response_due": (TODAY + datetime.timedelta(days=7)).isoformat(),
            "confirm": "1",
        },
        follow=True,
    )
    assert "Für die Entscheidung über diesen Widerruf bleiben nur noch" in page(response)
