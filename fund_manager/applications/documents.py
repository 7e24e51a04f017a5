"""The letters of a revocation as PDF: the hearing letter (Anhörung, § 28 VwVfG) and the
notice (Widerrufsbescheid or Teilwiderrufsbescheid, with legal remedy instructions).

Built like the round's notices (the same layout and rendering to a tagged PDF/UA of
``core.documents``, German on purpose as administrative acts). Reads only; rebuilt from the
stored proceeding each time, so every date comes from the record, never from today.

The letters cite the round's decision that granted the money: the caller passes that decided
agenda item (``rounds.documents.latest_decided_item``), as the rounds sit above the
applications and are not read from here.
"""

from django.utils import timezone

from fund_manager.core.documents import (
    administrative_court,
    authority,
    euro,
    html_to_pdf,
    render_german,
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


def _context(revocation, *, decided_item, issued_on, title):
    application = revocation.application
    organisation = application.organisation
    fund = application.fund
    full = revocation.is_full
    new_amount = (
        revocation.decided_amount
        if revocation.decided_amount is not None
        else revocation.intended_amount
    )
    return {
        "fund": fund,
        "authority": authority(fund),
        "application": application,
        "organisation": organisation,
        "internal": organisation.is_municipal,
        "round": decided_item.round if decided_item else "–",
        "decided_on": timezone.localdate(decided_item.round.closed_at)
        if decided_item and decided_item.round.closed_at
        else None,
        "revocation": revocation,
        "title": f"{title} {application.reference or ''}".strip(),
        "issued_on": issued_on,
        "submitted_on": None,
        "full": full,
        "approved_before": euro(revocation.approved_before),
        "new_amount": euro(new_amount),
        "reduced_by": euro(revocation.approved_before - new_amount),
        "ground_text": GROUND_TEXT.get(revocation.ground, ""),
        "last_day": rules.last_day_to_decide(revocation.facts_known_on),
        "court": administrative_court(),
    }


def hearing_context(revocation, *, decided_item) -> dict:
    return _context(
        revocation,
        decided_item=decided_item,
        issued_on=timezone.localdate(revocation.hearing_started_at),
        title="Anhörung vor einem Widerruf"
        if revocation.is_full
        else "Anhörung vor einem Teilwiderruf",
    )


def notice_context(revocation, *, decided_item) -> dict:
    if revocation.status != RevocationStatus.DECIDED:
        raise ValueError(f"Revocation {revocation.pk} is not decided; it has no notice.")
    return _context(
        revocation,
        decided_item=decided_item,
        issued_on=timezone.localdate(revocation.decided_at),
        title="Widerrufsbescheid" if revocation.is_full else "Teilwiderrufsbescheid",
    )


def hearing_html(revocation, *, decided_item) -> str:
    context = hearing_context(revocation, decided_item=decided_item)
    return render_german("applications/pdf/hearing_letter.html", context)


def notice_html(revocation, *, decided_item) -> str:
    context = notice_context(revocation, decided_item=decided_item)
    return render_german("applications/pdf/revocation_notice.html", context)


def hearing_pdf(revocation, *, decided_item) -> bytes:
    return html_to_pdf(hearing_html(revocation, decided_item=decided_item))


def notice_pdf(revocation, *, decided_item) -> bytes:
    return html_to_pdf(notice_html(revocation, decided_item=decided_item))


def hearing_filename(revocation) -> str:
    return f"Anhoerung_{revocation.application.reference or revocation.application_id}.pdf"


def notice_filename(revocation) -> str:
    kind = "Widerrufsbescheid" if revocation.is_full else "Teilwiderrufsbescheid"
    return f"{kind}_{revocation.application.reference or revocation.application_id}.pdf"
