"""The official documents of a round as PDF: the minutes of the session (Niederschrift) and,
for each decided application, its notice (Zuwendungsbescheid or Ablehnungsbescheid).

HTML templates in ``templates/rounds/pdf/`` rendered by WeasyPrint: A4, tagged PDF/UA-1 with
``lang="de"``, because the PDFs must be accessible (BITV NRW, see DOMAIN.md "Records and
people"). The texts are German on purpose and not translatable: the notices are
administrative acts and the minutes their record, written in the official language
(§ 23 Abs. 1 VwVfG NRW); the HTML is the single source for both the PDF and the tests.

Reads only: nothing here changes a record. A document is rebuilt from the stored decision each
time, so every date in it comes from the round (never from today), and the same decision gives
the same text.
"""

import datetime

import weasyprint
from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fund_manager.core.money import ZERO, format_amount, quantize
from fund_manager.core.roles import Role, has_role
from fund_manager.core.text import xml_safe
from policies import voting
from policies.rules import add_months

from .models import AgendaItem, Attendance, ItemState, Recusal, RoundState, Vote

MINUTES_STATES = (RoundState.DECIDED, RoundState.MINUTED)
DECIDED_ITEM_STATES = (ItemState.APPROVED, ItemState.REJECTED)

# ANBest-P no. 7: proof of use within six months after the project end (a fund may set a
# shorter period; none does yet). § 188 Abs. 2, 3 BGB: the same day six months later.
PROOF_OF_USE_MONTHS = 6

# The court for the legal remedy instructions. Herne lies in the district of the
# Verwaltungsgericht Gelsenkirchen; another city sets FM_ADMINISTRATIVE_COURT in its settings.
# In NRW there is no objection procedure (Widerspruch) before the action (§ 110 JustG NRW).
DEFAULT_ADMINISTRATIVE_COURT = (
    "Verwaltungsgericht Gelsenkirchen, Bahnhofsvorplatz 3, 45879 Gelsenkirchen"
)

RESULT_TEXT = {
    voting.APPROVED: "Angenommen",
    voting.REJECTED: "Abgelehnt",
    voting.DEFERRED: "Vertagt",
    voting.NO_QUORUM: "Nicht beschlussfähig",
}
RECUSAL_TEXT = {
    Recusal.Reason.MEMBERSHIP: "Mitglied der antragstellenden Organisation (§ 31 GO NRW)",
    Recusal.Reason.DECLARED: "Befangenheit selbst erklärt (§ 31 GO NRW)",
}


# --- access and lookups -----------------------------------------------------------------------
def can_read_minutes(user, funding_round) -> bool:
    """The minutes are for the staff: the project office, finance and the audit office of any
    round, the chair and the members only of a round they were entitled to vote in."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or any(
        has_role(user, role) for role in (Role.PROJECT_OFFICE, Role.FINANCE, Role.AUDITOR)
    ):
        return True
    if has_role(user, Role.CHAIR) or has_role(user, Role.STEERING_MEMBER):
        return funding_round.entitlements.filter(user=user).exists()
    return False


def latest_decided_item(application):
    """The agenda item whose decision the application's notice states (the latest approval or
    rejection of a decided round), or None before any such decision."""
    return (
        AgendaItem.objects.filter(
            application=application,
            state__in=DECIDED_ITEM_STATES,
            round__state__in=MINUTES_STATES,
        )
        .select_related("round__fiscal_year__fund", "application__organisation")
        .order_by("-round__session_date", "-round__number", "-pk")
        .first()
    )


def proof_of_use_due(end_date):
    """The day the proof of use (Verwendungsnachweis) is due: six months after the project end."""
    return add_months(end_date, PROOF_OF_USE_MONTHS) if end_date else None


def session_day(funding_round) -> datetime.date:
    """The day the session really took place: the day it was opened (a session opens on its
    scheduled day only, but older rounds may differ), else the scheduled day."""
    if funding_round.opened_at:
        return timezone.localdate(funding_round.opened_at)
    return funding_round.session_date


def decision_date(funding_round) -> datetime.date:
    """The date of the decision, which is the date of the notices: the day the session was
    closed, or the planned session date if the closing time is missing."""
    if funding_round.closed_at:
        return timezone.localdate(funding_round.closed_at)
    return funding_round.session_date


def minutes_filename(funding_round) -> str:
    return f"Niederschrift_{funding_round.fiscal_year.year}-{funding_round.number}.pdf"


def notice_filename(item) -> str:
    kind = "Zuwendungsbescheid" if item.state == ItemState.APPROVED else "Ablehnungsbescheid"
    reference = item.application.reference or f"Antrag-{item.application_id}"
    return f"{kind}_{reference}.pdf"


# --- context ----------------------------------------------------------------------------------
def _name(user) -> str:
    return user.get_full_name() or user.username


def _euro(value) -> str | None:
    return None if value is None else format_amount(value, language="de")


def _authority(fund) -> str:
    return fund.owner_department or fund.name


def minutes_context(funding_round) -> dict:
    """Everything the minutes show, for any number of items in a constant number of queries."""
    fund = funding_round.fiscal_year.fund
    entitlements = list(
        funding_round.entitlements.select_related("user").order_by(
            "-is_chair", "user__last_name", "user__first_name", "user__username"
        )
    )
    items = list(
        funding_round.items.select_related("application__organisation", "application__action_field")
        .prefetch_related(
            Prefetch(
                "recusals",
                queryset=Recusal.objects.select_related("member").order_by(
                    "member__last_name", "member__first_name", "member__username"
                ),
            ),
            Prefetch("votes", queryset=Vote.objects.select_related("member")),
        )
        .order_by("position", "id")
    )
    rows, by_field = [], {}
    approved_total = ZERO
    counts = dict.fromkeys(RESULT_TEXT, 0)
    for item in items:
        outcome = item.outcome or {}
        result = outcome.get("result")
        if result in counts:
            counts[result] += 1
        approved = item.proposed_amount if item.state == ItemState.APPROVED else None
        if approved is not None:
            approved_total += approved
            field = item.application.action_field
            key = field.name if field else "—"
            by_field[key] = by_field.get(key, ZERO) + approved
        voters = {choice: [] for choice in Vote.Choice.values}
        for vote in item.votes.all():
            voters.setdefault(vote.choice, []).append(_name(vote.member))
        rows.append(
            {
                "item": item,
                # Who voted how, by name (a vote of a recused member is never stored).
                "voters": {choice: sorted(names) for choice, names in voters.items()},
                "application": item.application,
                "requested": _euro(item.application.requested_amount),
                "proposed": _euro(item.proposed_amount),
                "approved": _euro(approved),
                "outcome": outcome,
                "result": RESULT_TEXT.get(result, "Nicht entschieden"),
                "recusals": [
                    {
                        "name": _name(recusal.member),
                        "reason": RECUSAL_TEXT.get(recusal.reason, recusal.reason),
                    }
                    for recusal in item.recusals.all()
                ],
            }
        )
    chair = next((e.user for e in entitlements if e.is_chair), None)
    # Who led the session: the one who opened it (the chair, or the deputy standing in).
    leader = funding_round.chaired_by or chair
    # Presence as the chair recorded it: at the opening, then arrivals and departures.
    stretches = list(
        Attendance.objects.filter(round=funding_round)
        .select_related("member")
        .order_by("arrived_at", "pk")
    )
    at_opening = {a.member_id for a in stretches if a.at_opening}
    changes = [
        {"name": _name(a.member), "kind": "arrived", "at": a.arrived_at}
        for a in stretches
        if not a.at_opening
    ] + [
        {"name": _name(a.member), "kind": "left", "at": a.left_at}
        for a in stretches
        if a.left_at is not None
    ]
    changes.sort(key=lambda change: (change["at"], change["name"]))
    signer = funding_round.minutes_signed_by
    return {
        "fund": fund,
        "authority": _authority(fund),
        "round": funding_round,
        "title": f"Niederschrift über die Sitzung der Lenkungsgruppe – Runde {funding_round}",
        "members": [
            {
                "name": _name(e.user),
                "is_chair": e.is_chair,
                "is_deputy": e.is_deputy,
                "present_at_opening": e.user_id in at_opening,
            }
            for e in entitlements
        ],
        # Rounds opened before presence was recorded (issue 9) have no attendance at all.
        "attendance_recorded": bool(stretches),
        "attendance_changes": changes,
        "session_day": session_day(funding_round),
        "chair_name": _name(leader) if leader else "",
        "led_by_deputy": any(
            e.user_id == leader.pk and e.is_deputy and not e.is_chair for e in entitlements
        )
        if leader
        else False,
        "minute_taker": funding_round.minute_taker,
        "signed_by": _name(signer) if signer else "",
        "signed_at": funding_round.minutes_signed_at,
        "rows": rows,
        "counts": {
            "approved": counts[voting.APPROVED],
            "rejected": counts[voting.REJECTED],
            "deferred": counts[voting.DEFERRED],
        },
        "approved_total": _euro(quantize(approved_total)),
        "approved_by_field": [
            {"name": name, "amount": _euro(amount)} for name, amount in sorted(by_field.items())
        ],
        "decided_on": decision_date(funding_round),
    }


def notice_context(item) -> dict:
    """The notice of one decided agenda item (approval or rejection)."""
    if item.state not in DECIDED_ITEM_STATES:
        raise ValueError(f"Agenda item {item.pk} is not decided ({item.state}); it has no notice.")
    application = item.application
    organisation = application.organisation
    funding_round = item.round
    fund = funding_round.fiscal_year.fund
    approved = item.proposed_amount if item.state == ItemState.APPROVED else None
    requested = application.requested_amount
    partial = approved is not None and requested is not None and approved < requested
    outcome = item.outcome or {}
    return {
        "fund": fund,
        "authority": _authority(fund),
        "round": funding_round,
        "item": item,
        "application": application,
        "organisation": organisation,
        "internal": organisation.is_municipal,
        "title": (
            f"{'Zuwendungsbescheid' if approved is not None else 'Ablehnungsbescheid'} "
            f"{application.reference or ''}"
        ).strip(),
        "issued_on": decision_date(funding_round),
        "session_day": session_day(funding_round),
        "submitted_on": timezone.localdate(application.submitted_at)
        if application.submitted_at
        else None,
        "requested": _euro(requested),
        "approved": _euro(approved),
        "partial": partial,
        "total_costs": _euro(application.total_costs),
        "own_funds": _euro(application.own_funds),
        "third_party_funds": _euro(application.third_party_funds),
        "conditions": item.conditions.strip(),
        "proof_of_use_due": proof_of_use_due(application.end_date),
        "proof_of_use_months": PROOF_OF_USE_MONTHS,
        "reasons": outcome.get("explanation", ""),
        "court": getattr(settings, "FM_ADMINISTRATIVE_COURT", DEFAULT_ADMINISTRATIVE_COURT),
    }


# --- rendering --------------------------------------------------------------------------------
def _render(template, context) -> str:
    # The documents are German whatever the reader's language (dates, month names).
    with translation.override("de"):
        return render_to_string(template, context)


def minutes_html(funding_round) -> str:
    return _render("rounds/pdf/minutes.html", minutes_context(funding_round))


def notice_template(item) -> str:
    if item.state == ItemState.APPROVED:
        return "rounds/pdf/notice_approval.html"
    return "rounds/pdf/notice_rejection.html"


def notice_html(item) -> str:
    return _render(notice_template(item), notice_context(item))


def _refuse_fetch(url, *args, **kwargs):
    """The documents are self-contained; never let a URL in the HTML read a file or the net."""
    raise ValueError(f"External resources are not loaded into documents: {url}")


def html_to_pdf(html: str) -> bytes:
    """Tagged PDF/UA-1 (structure tree, document language, title shown) from our HTML."""
    # What XML cannot carry is left out (issue 9, defect 8): texts stored before control
    # characters were refused must not break a document (PDF/UA metadata is XML).
    document = weasyprint.HTML(string=xml_safe(html), url_fetcher=_refuse_fetch)
    return document.write_pdf(pdf_variant="pdf/ua-1")


def minutes_pdf(funding_round) -> bytes:
    return html_to_pdf(minutes_html(funding_round))


def notice_pdf(item) -> bytes:
    return html_to_pdf(notice_html(item))
