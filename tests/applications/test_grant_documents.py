"""The hearing letter and the revocation notice (issue 9, defect 2): German, with the amounts,
dates, facts, the legal basis and (for the notice) the legal remedy; tagged PDFs. The text is
checked in the HTML the PDF is rendered from (no PDF text extractor is installed)."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fund_manager.applications import documents
from fund_manager.organisations.models import Organisation
from fund_manager.rounds.documents import latest_decided_item
from tests.rounds.test_documents import assert_tagged_pdf, german, inflated
from tests.workflows.grant_helpers import approved_application
from workflows import grants

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def decided(revocation):
    """The round's decision the letters cite (the caller passes it)."""
    return latest_decided_item(revocation.application)


def hearing(application, office, intended):
    return grants.start_revocation(
        application=application,
        by=office,
        ground="purpose",
        facts="Der Sprachkurs im Mai hat nicht stattgefunden.",
        facts_known_on=TODAY - datetime.timedelta(days=2),
        intended_amount=D(intended),
        response_due=TODAY + datetime.timedelta(days=14),
    )


def test_defect_02_hearing_letter_of_a_partial_revocation(office):
    application = approved_application()
    revocation = hearing(application, office, "500.00")
    html = documents.hearing_html(revocation, decided_item=decided(revocation))
    assert "Anhörung vor einem Teilwiderruf" in html
    assert "von 1.134,56\u00a0€ auf 500,00\u00a0€ zu ermäßigen" in html
    assert "Minderung um 634,56\u00a0€" in html
    assert "Der Sprachkurs im Mai hat nicht stattgefunden." in html
    assert f"bis zum {german(revocation.response_due)}" in html
    assert "§ 28 Absatz 1 VwVfG NRW" in html
    assert "§ 49 Absatz 3 Satz 1 Nummer 1" in html
    assert application.reference in html
    assert "Rechtsbehelfsbelehrung entfällt" in html
    pdf = documents.hearing_pdf(revocation, decided_item=decided(revocation))
    assert_tagged_pdf(pdf)
    assert f"Teilwiderruf {application.reference}".encode() in inflated(pdf)
    assert documents.hearing_filename(revocation) == f"Anhoerung_{application.reference}.pdf"


def test_defect_02_revocation_notice_with_the_response_and_legal_remedy(office):
    application = approved_application()
    revocation = hearing(application, office, "0.00")
    with pytest.raises(ValueError, match="not decided"):
        documents.notice_html(revocation, decided_item=decided(revocation))
    grants.record_response(
        revocation=revocation, by=office, response="Der Kurs fiel aus.", received_on=TODAY
    )
    grants.decide_revocation(revocation=revocation, by=office, reasons="Zweck verfehlt.")
    revocation.refresh_from_db()
    html = documents.notice_html(revocation, decided_item=decided(revocation))
    assert "<h1>Widerrufsbescheid</h1>" in html
    assert "vollständig widerrufen" in html
    assert "1.134,56\u00a0€ entfällt" in html
    assert "Der Kurs fiel aus." in html
    assert "Zweck verfehlt." in html
    assert f"Stellungnahme vom {german(TODAY)}" in html
    assert "Rechtsbehelfsbelehrung" in html
    assert "Verwaltungsgericht Gelsenkirchen" in html
    assert "§ 49a VwVfG NRW" in html
    pdf = documents.notice_pdf(revocation, decided_item=decided(revocation))
    assert_tagged_pdf(pdf)
    # The document title (metadata and structure) names the notice and the file reference.
    assert f"Widerrufsbescheid {application.reference}".encode() in inflated(pdf)
    assert documents.notice_filename(revocation).startswith("Widerrufsbescheid_VF-")


def test_defect_02_partial_notice_without_a_response(office):
    application = approved_application()
    revocation = hearing(application, office, "800.00")
    grants.decide_revocation(
        revocation=revocation,
        by=office,
        reasons="Keine Stellungnahme.",
        today=revocation.response_due + datetime.timedelta(days=1),
    )
    revocation.refresh_from_db()
    html = documents.notice_html(revocation, decided_item=decided(revocation))
    assert "Teilwiderrufsbescheid" in html
    assert "als die Zuwendung 800,00\u00a0€ übersteigt" in html
    assert "Sie haben sich bis zu diesem Tag nicht geäußert." in html


def test_defect_02_a_city_department_gets_no_legal_remedy(office):
    application = approved_application()
    Organisation.objects.filter(pk=application.organisation_id).update(
        kind=Organisation.Kind.MUNICIPAL
    )
    revocation = hearing(application, office, "0.00")
    grants.record_response(revocation=revocation, by=office, response="ok", received_on=TODAY)
    grants.decide_revocation(revocation=revocation, by=office, reasons="Zweck verfehlt.")
    revocation.refresh_from_db()
    html = documents.notice_html(revocation, decided_item=decided(revocation))
    assert "verwaltungsinterne Entscheidung" in html
    assert "Verwaltungsgericht" not in html
