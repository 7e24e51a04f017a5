"""The official documents of a round as PDF: the minutes of the session (Niederschrift) and,
for each decided application, its notice (Zuwendungsbescheid or Ablehnungsbescheid).

HTML templates in ``templates/rounds/pdf/`` rendered by WeasyPrint: A4, tagged PDF/UA-1 with
``lang="de"``, because the PDFs must be accessible (BITV NRW). The texts are German on
purpose and not translatable: the notices are administrative acts and the minutes their
record, written in the official language (§ 23 Abs. 1 VwVfG NRW); the HTML is the single
source for both the PDF and the tests.

Reads only: nothing here changes a record. A document is rebuilt from the stored decision each
time, so every date in it comes from the round (never from today), and the same decision gives
the same text.
"""

import datetime

from django.db.models import Prefetch
from django.utils import timezone

from fund_manager.core.documents import (
    administrative_court,
    authority,
    euro,
    html_to_pdf,
    render_german,
)
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.roles import Role, has_role
from policies import voting
from policies.funding import MAX_PROOF_OF_USE_MONTHS
from policies.periods import add_months

from .models import DECIDED_STATES, AgendaItem, Attendance, ItemState, Recusal, Vote
from .selectors import display_name

MINUTES_STATES = DECIDED_STATES
DECIDED_ITEM_STATES = (ItemState.APPROVED, ItemState.REJECTED)

# ANBest-P no. 7: proof of use within six months after the project end; a fund may set a
# shorter period (Fund.proof_of_use_months). § 188 Abs. 2, 3 BGB: the same day n months later.
PROOF_OF_USE_MONTHS = MAX_PROOF_OF_USE_MONTHS

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


def proof_of_use_due(end_date, months=PROOF_OF_USE_MONTHS):
    """The day the proof of use (Verwendungsnachweis) is due: the fund's number of months (at
    most six) after the project end."""
    return add_months(end_date, months) if end_date else None


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


# --- the minutes ------------------------------------------------------------------------------
def _agenda_with_votes(funding_round) -> list:
    """The items with their applications, recusals and votes (members loaded), in order."""
    return list(
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


def _approved_amount(item):
    return item.proposed_amount if item.state == ItemState.APPROVED else None


def _item_row(item) -> dict:
    """One item as the minutes show it: amounts, result, who voted how, who was recused."""
    outcome = item.outcome or {}
    voters = {choice: [] for choice in Vote.Choice.values}
    for vote in item.votes.all():
        voters.setdefault(vote.choice, []).append(display_name(vote.member))
    return {
        "item": item,
        # Who voted how, by name (a vote of a recused member is never stored).
        "voters": {choice: sorted(names) for choice, names in voters.items()},
        "application": item.application,
        "requested": euro(item.application.requested_amount),
        "proposed": euro(item.proposed_amount),
        "approved": euro(_approved_amount(item)),
        "outcome": outcome,
        "result": RESULT_TEXT.get(outcome.get("result"), "Nicht entschieden"),
        "recusals": [
            {
                "name": display_name(recusal.member),
                "reason": RECUSAL_TEXT.get(recusal.reason, recusal.reason),
            }
            for recusal in item.recusals.all()
        ],
    }


def _totals(items) -> dict:
    """How many items were approved, rejected and deferred, and the approved money in all and
    per action field."""
    counts = dict.fromkeys(RESULT_TEXT, 0)
    approved_total, by_field = ZERO, {}
    for item in items:
        result = (item.outcome or {}).get("result")
        if result in counts:
            counts[result] += 1
        approved = _approved_amount(item)
        if approved is not None:
            approved_total += approved
            field = item.application.action_field
            key = field.name if field else "—"
            by_field[key] = by_field.get(key, ZERO) + approved
    return {
        "counts": {
            "approved": counts[voting.APPROVED],
            "rejected": counts[voting.REJECTED],
            "deferred": counts[voting.DEFERRED],
        },
        "approved_total": euro(quantize(approved_total)),
        "approved_by_field": [
            {"name": name, "amount": euro(amount)} for name, amount in sorted(by_field.items())
        ],
    }


def _attendance(funding_round, entitlements) -> dict:
    """The members with their presence at the opening, then the arrivals and departures, as
    the chair recorded them."""
    stretches = list(
        Attendance.objects.filter(round=funding_round)
        .select_related("member")
        .order_by("arrived_at", "pk")
    )
    at_opening = {a.member_id for a in stretches if a.at_opening}
    changes = [
        {"name": display_name(a.member), "kind": "arrived", "at": a.arrived_at}
        for a in stretches
        if not a.at_opening
    ] + [
        {"name": display_name(a.member), "kind": "left", "at": a.left_at}
        for a in stretches
        if a.left_at is not None
    ]
    changes.sort(key=lambda change: (change["at"], change["name"]))
    return {
        "members": [
            {
                "name": display_name(e.user),
                "is_chair": e.is_chair,
                "is_deputy": e.is_deputy,
                "present_at_opening": e.user_id in at_opening,
            }
            for e in entitlements
        ],
        # Rounds opened before presence was recorded (issue 9) have no attendance at all.
        "attendance_recorded": bool(stretches),
        "attendance_changes": changes,
    }


def _leadership(funding_round, entitlements) -> dict:
    """Who led the session (the one who opened it: the chair, or the deputy standing in) and
    who kept and signed the minutes."""
    chair = next((e.user for e in entitlements if e.is_chair), None)
    leader = funding_round.chaired_by or chair
    signer = funding_round.minutes_signed_by
    led_by_deputy = leader is not None and any(
        e.user_id == leader.pk and e.is_deputy and not e.is_chair for e in entitlements
    )
    return {
        "chair_name": display_name(leader) if leader else "",
        "led_by_deputy": led_by_deputy,
        "minute_taker": funding_round.minute_taker,
        "signed_by": display_name(signer) if signer else "",
        "signed_at": funding_round.minutes_signed_at,
    }


def minutes_context(funding_round) -> dict:
    """Everything the minutes show, for any number of items in a constant number of queries."""
    fund = funding_round.fiscal_year.fund
    entitlements = list(
        funding_round.entitlements.select_related("user").order_by(
            "-is_chair", "user__last_name", "user__first_name", "user__username"
        )
    )
    items = _agenda_with_votes(funding_round)
    return {
        "fund": fund,
        "authority": authority(fund),
        "round": funding_round,
        "title": f"Niederschrift über die Sitzung der Lenkungsgruppe – Runde {funding_round}",
        **_attendance(funding_round, entitlements),
        "session_day": session_day(funding_round),
        **_leadership(funding_round, entitlements),
        "rows": [_item_row(item) for item in items],
        **_totals(items),
        "decided_on": decision_date(funding_round),
    }


# --- the notices ------------------------------------------------------------------------------
def _share_percent(approved, total_costs):
    """The grant's share of the eligible costs, in percent with two places (Anteilfinanzierung)."""
    if approved is None or not total_costs:
        return None
    return f"{quantize(approved * 100 / total_costs):.2f}".replace(".", ",")


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
        "authority": authority(fund),
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
        "requested": euro(requested),
        "approved": euro(approved),
        "partial": partial,
        "total_costs": euro(application.total_costs),
        "own_funds": euro(application.own_funds),
        "third_party_funds": euro(application.third_party_funds),
        "conditions": item.conditions.strip(),
        "proof_of_use_due": proof_of_use_due(application.end_date, fund.proof_of_use_months),
        "proof_of_use_months": fund.proof_of_use_months,
        "funding_type": item.funding_type or fund.default_funding_type,
        "share_percent": _share_percent(approved, application.total_costs),
        "reasons": outcome.get("explanation", ""),
        "court": administrative_court(),
    }


# --- rendering --------------------------------------------------------------------------------
def minutes_html(funding_round) -> str:
    return render_german("rounds/pdf/minutes.html", minutes_context(funding_round))


def notice_template(item) -> str:
    if item.state == ItemState.APPROVED:
        return "rounds/pdf/notice_approval.html"
    return "rounds/pdf/notice_rejection.html"


def notice_html(item) -> str:
    return render_german(notice_template(item), notice_context(item))


def minutes_pdf(funding_round) -> bytes:
    return html_to_pdf(minutes_html(funding_round))


def notice_pdf(item) -> bytes:
    return html_to_pdf(notice_html(item))
