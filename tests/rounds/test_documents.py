"""The minutes and notices as PDF, who may download them, and the decision e-mail.

Neither pdftotext nor pypdf is installed, so the text is checked in the HTML that
``rounds.documents`` renders into the PDF (the same context), and the PDFs themselves for being
tagged PDF/UA (structure tree, language, PDF/UA identification in the metadata).
"""

import calendar
import datetime
import re
import zlib
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import include, path, reverse

from fund_manager import urls as root_urls
from fund_manager.applications.models import Application
from fund_manager.organisations.models import Membership
from fund_manager.rounds import documents, notifications, services
from tests.conftest import module_data
from tests.factories import OrganisationFactory, provider_user, user_with_role
from tests.rounds.conftest import build_setting
from tests.rounds.test_session import eligible_application, in_session, vote_all
from workflows import rounds as round_use_cases

# The documents' URLs until they are included in the root URLconf (then this adds nothing).
urlpatterns = list(root_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "rounds_documents" for p in urlpatterns):
    urlpatterns.append(path("", include("fund_manager.rounds.document_urls")))

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
D = Decimal
NBSP = "\u00a0"
MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


def german(day: datetime.date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (WeasyPrint packs objects into them) inflated."""
    parts = [pdf]
    # Up to "endstream" with the line break: a stream whose data ends in a carriage return
    # would lose that byte to a pattern that strips "\r\n" (and fail to inflate, now and
    # then, as the minutes' dates change). The decompressor ignores what follows its data.
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def assert_tagged_pdf(pdf: bytes):
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 10_000  # embedded fonts and text, not an empty page
    content = inflated(pdf)
    assert b"/StructTreeRoot" in content
    assert b"/MarkInfo" in content
    assert b"/Lang (de)" in content
    assert b"pdfuaid:part" in content


@module_data
def decided():
    """A decided round: A approved with a partial amount and a recused member, B rejected.
    Built once for the module (the tests only read it); tests that need the round still
    undecided are in test_documents_undecided.py."""
    setting = build_setting()
    year = setting["year"].year
    recused_member = setting["members"][1]
    applicant = OrganisationFactory(
        name="Stadtteilverein Sodingen e.V.",
        street="Mont-Cenis-Straße 5",
        postal_code="44627",
        city="Herne",
        email="post@sodingen.example",
    )
    Membership.objects.create(organisation=applicant, user=recused_member)
    first = eligible_application(setting, applicant, amounts=(D("600.00"),))
    second = eligible_application(setting, amounts=(D("300.00"),))
    item_a, item_b = in_session(setting, first, second)
    chair, _member, third, fourth = setting["members"]
    services.set_proposal(
        item=item_a, amount=D("512.30"), conditions="Logo des Fonds auf dem Flyer.", by=chair
    )
    for member, choice in ((chair, "yes"), (third, "yes"), (fourth, "abstain")):
        services.cast_vote(item=item_a, choice=choice, by=member)
    vote_all(setting, item_b, ["no", "no", "yes", "no"])
    funding_round = round_use_cases.close_session(funding_round=setting["round"], by=chair)
    # The project runs until 31 August: the proof of use is due at the end of February.
    Application.objects.filter(pk=first.pk).update(
        start_date=datetime.date(year, 3, 1), end_date=datetime.date(year, 8, 31)
    )
    item_a.refresh_from_db()
    item_b.refresh_from_db()
    return {
        **setting,
        "round": funding_round,
        "approved": item_a,
        "rejected": item_b,
        "recused": recused_member,
        "applicant": applicant,
    }


# --- the documents ----------------------------------------------------------------------------
def test_the_minutes_list_every_item_with_votes_recusal_outcome_and_totals(decided):
    funding_round = decided["round"]
    html = documents.minutes_html(funding_round)

    assert '<html lang="de">' in html
    assert f"Runde {funding_round}" in html
    assert f"{decided['chair'].username} (Vorsitz)" in html
    for item in (decided["approved"], decided["rejected"]):
        application = item.application
        assert application.reference in html
        assert application.title in html
        assert application.organisation.name in html
    # The votes, as the outcome explains them, and the recusal with its reason.
    assert "Ja 2, Nein 0, Enthaltung 1" in html
    assert "Ja 1, Nein 3, Enthaltung 0" in html
    assert f"{decided['recused'].username} – Mitglied der antragstellenden Organisation" in html
    assert "Ergebnis: Angenommen – bewilligt 512,30" in html
    assert "Ergebnis: Abgelehnt" in html
    assert "Logo des Fonds auf dem Flyer." in html
    assert f"Bewilligungen insgesamt</th><td><strong>512,30{NBSP}€" in html
    assert "Vorsitz der Lenkungsgruppe" in html
    assert "Protokollführung" in html


def test_the_minutes_are_a_tagged_pdf(decided):
    assert_tagged_pdf(documents.minutes_pdf(decided["round"]))


def test_the_approval_notice_states_amount_conditions_deadline_and_remedy(decided):
    item = decided["approved"]
    year = decided["year"].year
    html = documents.notice_html(item)

    assert "<h1>Zuwendungsbescheid</h1>" in html
    assert f"512,30{NBSP}€" in html
    assert f"600,00{NBSP}€" in html  # requested; the rest is refused in the notice
    assert "Soweit die bewilligte Zuwendung hinter dem beantragten Betrag" in html
    assert "Fehlbedarfsfinanzierung" in html
    assert "ANBest-P" in html
    assert "Logo des Fonds auf dem Flyer." in html
    assert "1. März " + str(year) + " bis 31. August " + str(year) in html
    due = datetime.date(year + 1, 2, calendar.monthrange(year + 1, 2)[1])
    assert documents.proof_of_use_due(item.application.end_date) == due
    assert f"spätestens bis zum <strong>{german(due)}</strong>" in html
    assert "Stadtteilverein Sodingen e.V." in html
    assert "44627 Herne" in html
    assert item.application.reference in html
    assert "Verwaltungsgericht Gelsenkirchen" in html
    assert "innerhalb eines Monats nach seiner Bekanntgabe Klage" in html
    assert "Ein Widerspruchsverfahren findet nicht statt" in html
    assert_tagged_pdf(documents.notice_pdf(item))


def test_the_rejection_notice_gives_the_reasons(decided):
    item = decided["rejected"]
    html = documents.notice_html(item)

    assert "<h1>Ablehnungsbescheid</h1>" in html
    assert "Ihr Antrag wird abgelehnt." in html
    assert item.outcome["explanation"] in html
    assert "Verwaltungsgericht Gelsenkirchen" in html
    assert_tagged_pdf(documents.notice_pdf(item))


def test_a_city_department_gets_an_internal_notice_without_legal_remedy(decided):
    item = decided["approved"]
    applicant = decided["applicant"]
    applicant.kind = applicant.Kind.MUNICIPAL
    applicant.save(update_fields=["kind"])
    html = documents.notice_html(documents.latest_decided_item(item.application))

    assert "Bereitstellung von Mitteln" in html
    assert "kein Verwaltungsakt; eine Rechtsbehelfsbelehrung entfällt" in html
    assert "Verwaltungsgericht" not in html


# --- who may download them ------------------------------------------------------------------------
def minutes_url(funding_round):
    return reverse("rounds_documents:minutes", args=[funding_round.pk])


def notice_url(application):
    return reverse("rounds_documents:notice", args=[application.pk])


def assert_pdf_download(response, filename):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "private" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "who", ["office", "chair", "member", "finance", "auditor"], ids=lambda who: who
)
def test_the_staff_of_the_round_download_the_minutes(client, decided, who):
    users = {
        "office": decided["office"],
        "chair": decided["chair"],
        "member": decided["members"][2],
        "finance": user_with_role("finance"),
        "auditor": user_with_role("auditor"),
    }
    client.force_login(users[who])
    funding_round = decided["round"]
    response = client.get(minutes_url(funding_round))
    assert_pdf_download(response, f"Niederschrift_{funding_round.fiscal_year.year}-1.pdf")


@pytest.mark.parametrize("who", ["provider", "outsider member"], ids=lambda who: who)
def test_providers_and_members_of_other_rounds_may_not_read_the_minutes(client, decided, who):
    user = (
        provider_user(decided["applicant"])
        if who == "provider"
        else user_with_role("steering_member")
    )
    client.force_login(user)
    assert client.get(minutes_url(decided["round"])).status_code == 403


def test_the_minutes_need_a_login(client, decided):
    response = client.get(minutes_url(decided["round"]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_applicant_downloads_its_notice_and_the_office_too(client, decided):
    application = decided["approved"].application
    filename = f"Zuwendungsbescheid_{application.reference}.pdf"
    client.force_login(provider_user(decided["applicant"]))
    assert_pdf_download(client.get(notice_url(application)), filename)
    client.force_login(decided["office"])
    assert_pdf_download(client.get(notice_url(application)), filename)


def test_another_provider_does_not_find_the_notice(client, decided):
    client.force_login(provider_user(OrganisationFactory()))
    assert client.get(notice_url(decided["approved"].application)).status_code == 404


# --- the e-mail ----------------------------------------------------------------------------------
def test_the_decision_is_mailed_to_the_applicant_after_commit(
    decided, django_capture_on_commit_callbacks
):
    item = decided["approved"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notifications.decided(item)
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    provider_addresses = {
        user.email for user in decided["applicant"].members.filter(groups__name="provider")
    }
    assert set(message.to) == provider_addresses | {"post@sodingen.example"}
    assert decided["recused"].email not in message.to  # a member, but not in the provider role
    assert item.application.reference in message.subject
    assert f"512,30{NBSP}€" in message.body
    assert notice_url(item.application) in message.body


def test_defect_08_documents_leave_out_what_xml_cannot_carry(monkeypatch):
    """Texts stored before control characters were refused never reach a PDF (its metadata
    is XML)."""
    from fund_manager.core import documents as docs

    seen = {}
    real_html = docs.weasyprint.HTML

    def capture(*, string, **kwargs):
        seen["html"] = string
        return real_html(string=string, **kwargs)

    monkeypatch.setattr(docs.weasyprint, "HTML", capture)
    pdf = docs.html_to_pdf(
        '<html lang="de"><head><title>Protokoll\u0001</title></head>'
        "<body><p>Auflage\u0002\u000b eins\n\tzwei</p></body></html>"
    )

    assert pdf.startswith(b"%PDF")
    assert "\u0001" not in seen["html"]
    assert "\u0002" not in seen["html"]
    assert "\u000b" not in seen["html"]
    assert "Auflage eins\n\tzwei" in seen["html"]
