"""The session as the chair and the members follow it: each item with its live tally, and the
funds check of closing (one rule for the page and ``rounds.services.close_session``).

Each function runs a constant number of queries, whatever the number of agenda items: the
session page and ``tally.json`` are polled every few seconds by every member's device.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fund_manager.applications.models import State
from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import ActionField
from fund_manager.ledger.models import Account, AccountKind
from policies import voting

from ..models import Recusal, RoundState
from .agenda import agenda
from .people import display_name

RESULT_LABELS = {
    voting.APPROVED: pgettext_lazy("outcome", "Approved"),
    voting.REJECTED: pgettext_lazy("outcome", "Rejected"),
    voting.DEFERRED: pgettext_lazy("outcome", "Deferred"),
    voting.NO_QUORUM: gettext_lazy("No quorum"),
}


@dataclass
class ItemRow:
    """One agenda item with its tally as the session and voting pages show it."""

    item: object
    tally: voting.ItemTally
    outcome: voting.Outcome
    not_voted: list = field(default_factory=list)
    recused: list = field(default_factory=list)  # [(member_id, name, reason, reason_label)]
    my_vote: str | None = None
    my_recusal: str | None = None  # the reason label when the viewer is recused

    @property
    def quorum_text(self):
        outcome = self.outcome
        params = {
            "cast": outcome.votes_cast,
            "eligible": outcome.eligible_voters,
            "needed": outcome.quorum_needed,
        }
        if outcome.quorum_met:
            text = _("Quorum reached: %(cast)s of %(eligible)s have voted (%(needed)s needed).")
        else:
            text = _("No quorum yet: %(cast)s of %(eligible)s have voted (%(needed)s needed).")
        return text % params

    @property
    def withdrawn(self):
        """Withdrawn while on the agenda: closing the session does not decide it."""
        return self.item.application.state == State.WITHDRAWN

    @property
    def result_label(self):
        if self.withdrawn:
            return _("Withdrawn: not decided")
        return RESULT_LABELS[self.outcome.result]

    @property
    def lacks_proposal(self):
        """Approved as things stand, but without an amount to book."""
        approved = self.outcome.result == voting.APPROVED and not self.withdrawn
        return approved and self.item.proposed_amount is None

    def as_json(self):
        outcome = self.outcome
        return {
            "id": self.item.pk,
            "position": self.item.position,
            "reference": self.item.application.reference,
            "state": self.item.state,
            "deferred": self.item.deferral_requested,
            "yes": outcome.yes,
            "no": outcome.no,
            "abstain": outcome.abstain,
            "votes_cast": outcome.votes_cast,
            "eligible_voters": outcome.eligible_voters,
            "quorum_needed": outcome.quorum_needed,
            "quorum_met": outcome.quorum_met,
            "quorum_text": self.quorum_text,
            "not_voted": self.not_voted,
            "recused": [
                {"name": name, "reason": reason, "reason_label": label}
                for _member, name, reason, label in self.recused
            ],
            "my_vote": self.my_vote,
            "my_recusal": self.my_recusal,
        }


def session_rows(funding_round, viewer=None) -> list[ItemRow]:
    """Every agenda item with the tally of ``rounds.services.tally`` and the outcome that
    ``policies.voting.decide`` would give now; four queries for any number of items."""
    items = list(
        agenda(funding_round).prefetch_related(
            "votes", Prefetch("recusals", queryset=Recusal.objects.select_related("member"))
        )
    )
    entitled = list(
        funding_round.entitlements.select_related("user").order_by(
            "-is_chair", "user__last_name", "user__first_name", "user__username"
        )
    )
    entitled_ids = frozenset(entitlement.user_id for entitlement in entitled)
    rows = []
    for item in items:
        votes = {vote.member_id: vote.choice for vote in item.votes.all()}
        recusals = list(item.recusals.all())
        tally = voting.ItemTally(
            entitled=entitled_ids,
            recused=frozenset(recusal.member_id for recusal in recusals),
            votes=votes,
        )
        row = ItemRow(
            item=item,
            tally=tally,
            outcome=voting.decide(tally, deferred=item.deferral_requested),
            not_voted=[
                display_name(e.user)
                for e in entitled
                if e.user_id not in votes and e.user_id not in tally.recused
            ],
            recused=[
                (r.member_id, display_name(r.member), r.reason, r.get_reason_display())
                for r in recusals
            ],
        )
        if viewer is not None:
            row.my_vote = votes.get(viewer.pk)
            row.my_recusal = next(
                (label for member, _name, _reason, label in row.recused if member == viewer.pk),
                None,
            )
        rows.append(row)
    return rows


def tally_payload(funding_round, viewer) -> dict:
    """The body of ``tally.json``: counts, who has not voted and who is recused, per item."""
    return {
        "round": funding_round.pk,
        "state": funding_round.state,
        "open": funding_round.state == RoundState.IN_SESSION,
        "items": [row.as_json() for row in session_rows(funding_round, viewer)],
    }


@dataclass
class FieldCheck:
    """One action field's approvals against what is available to it."""

    action_field: object
    approved: object
    available: object

    @property
    def shortfall(self):
        """What is missing to approve them all (zero when they fit)."""
        return shortfalls([self]).get(self.action_field.code, ZERO)


def approvals(rows) -> list[tuple]:
    """``[(action field, amount)]`` of the proposals that would be approved now (``rows`` of
    ``session_rows``)."""
    return [
        (row.item.application.action_field, row.item.proposed_amount)
        for row in rows
        if row.outcome.result == voting.APPROVED
        and not row.withdrawn
        and row.item.proposed_amount is not None
    ]


def funds_check(funding_round, approved) -> list[FieldCheck]:
    """Per action field: the ``approved`` amounts (``[(action field, amount)]``) against what
    is available in the round's year; ``rounds.services.close_session`` refuses to close when
    one is short (``shortfalls``), the closing page shows the same check beforehand."""
    wanted = {}
    for action_field, amount in approved:
        wanted[action_field] = wanted.get(action_field, ZERO) + amount
    available = dict(
        Account.objects.filter(
            fiscal_year_id=funding_round.fiscal_year_id,
            kind=AccountKind.AVAILABLE,
            action_field__in=list(wanted),
        ).values_list("action_field_id", "balance")
    )
    return [
        FieldCheck(
            action_field=action_field,
            approved=quantize(amount),
            available=quantize(available.get(action_field.pk, ZERO)),
        )
        for action_field, amount in sorted(
            wanted.items(), key=lambda pair: (pair[0].position, pair[0].name)
        )
    ]


def shortfalls(checks) -> dict:
    """``{action field code: missing amount}`` of the fields short of money (the rule of
    ``policies.voting.funding_shortfalls``); empty when every approval can be booked."""
    return voting.funding_shortfalls(
        {check.action_field.code: check.approved for check in checks},
        {check.action_field.code: check.available for check in checks},
    )


def shortfall_rows(funding_round, shortfalls) -> list[tuple]:
    """``[(action field, missing amount)]`` for ``FundingShortfall.shortfalls`` (by code)."""
    fields = {
        action_field.code: action_field
        for action_field in ActionField.objects.filter(
            fund_id=funding_round.fiscal_year.fund_id, code__in=list(shortfalls)
        )
    }
    return [(fields.get(code, code), amount) for code, amount in sorted(shortfalls.items())]
