"""The letters of a revocation as PDF: the hearing letter (Anhörung, § 28 VwVfG) and the
notice (Widerrufsbescheid or Teilwiderrufsbescheid, with legal remedy instructions).

Built like the round's notices (``rounds.documents``: same layout, the same rendering to a
tagged PDF/UA, German on purpose as administrative acts). Reads only; rebuilt from the stored
proceeding each time, so every date comes from the record, never from today.
"""

from django.conf import settings
from django.utils import timezone

from fund_manager.rounds.documents import (
    DEFAULT_ADMINISTRATIVE_COURT,
    _authority,
    _euro,
    _render,
    html_to_pdf,
    latest_decided_item,
)
from policies import grants as rules

from .models import Revocation, RevocationStatus

GROUND_TEXT = {
    Revocation.Ground.PURPOSE: (
        "Die Zuwendung wurde nicht, nicht alsbald nach der Auszahlung oder nicht mehr für den "
        "im Bescheid bestimmten Zweck verwendet (§ 49 Absatz 3 Satz 1 Nummer 1 VwVfG NRW)."
    ),
    Revocation.Ground.CONDITION: (
        "Eine mit dem Bescheid verbundene Auflage wurde nicht oder nicht innerhalb der "
        "gesetzten Frist erfüllt (§ 49 Absatz 3 Satz 1 Nummer 2 VwVfG NRW)."
    ),
}


def _context(revocation, *, issued_on, title):
    application = revocation.application
    organisation = application.organisation
    fund = application.fund
    item = latest_decided_item(application)
    full = revocation.is_full
    new_amount = (
        revocation.decided_amount
        if revocation.decided_amount is not None
        else revocation.intended_amount
    )
    return {
        "fund": fund,
        "authority": _authority(fund),
        "application": application,
        "organisation": organisation,
        "internal": organisation.is_municipal,
        "round": item.round if item else "–",
        "decided_on": timezone.localdate(item.round.closed_at)
        if item and item.round.closed_at
        else None,
        "revocation": revocation,
        "title": f"{title} {application.reference or ''}".strip(),
        "issued_on": issued_on,
        "submitted_on": None,
        "full": full,
        "approved_before": _euro(revocation.approved_before),
        "new_amount": _euro(new_amount),
        "reduced_by": _euro(revocation.approved_before - new_amount),
        "ground_text": GROUND_TEXT.get(revocation.ground, ""),
        "last_day": rules.last_day_to_decide(revocation.facts_known_on),
        "court": getattr(settings, "FM_ADMINISTRATIVE_COURT", DEFAULT_ADMINISTRATIVE_COURT),
    }


def hearing_context(revocation) -> dict:
    return _context(
        revocation,
        issued_on=timezone.localdate(revocation.hearing_started_at),
        title="Anhörung vor einem Widerruf"
        if revocation.is_full
        else "Anhörung vor einem Teilwiderruf",
    )


def notice_context(revocation) -> dict:
    if revocation.status != RevocationStatus.DECIDED:
        raise ValueError(f"Revocation {revocation.pk} is not decided; it has no notice.")
    return _context(
        revocation,
        issued_on=timezone.localdate(revocation.decided_at),
        title="Widerrufsbescheid" if revocation.is_full else "Teilwiderrufsbescheid",
    )


def hearing_html(revocation) -> str:
    return _render("applications/pdf/hearing_letter.html", hearing_context(revocation))


def notice_html(revocation) -> str:
    return _render("applications/pdf/revocation_notice.html", notice_context(revocation))


def hearing_pdf(revocation) -> bytes:
    return html_to_pdf(hearing_html(revocation))


def notice_pdf(revocation) -> bytes:
    return html_to_pdf(notice_html(revocation))


def hearing_filename(revocation) -> str:
    return f"Anhoerung_{revocation.application.reference or revocation.application_id}.pdf"


def notice_filename(revocation) -> str:
    kind = "Widerrufsbescheid" if revocation.is_full else "Teilwiderrufsbescheid"
    return f"{kind}_{revocation.application.reference or revocation.application_id}.pdf"
