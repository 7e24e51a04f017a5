"""Funding rounds, their agenda and the steering group's decisions.

Output serializers read rounds and agenda items as ``fund_manager.api.views.rounds`` fetches
them (vote counts and the caller's own vote are annotations of that queryset). The input
serializers only parse; every change is made by ``rounds.services``.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fund_manager.applications.models import Application
from fund_manager.applications.selectors import applications_visible_to
from fund_manager.core.text import SHORT_TEXT
from fund_manager.funds.models import FiscalYear
from fund_manager.rounds.models import (
    DECIDED_STATES,
    AgendaItem,
    FundingRound,
    ItemState,
    NoticeDelivery,
    RoundState,
    Vote,
)
from policies import voting
from policies.funding import FundingType

from ..fields import MoneyField
from .base import ModelSerializer, Serializer, multi_line_text

CONDITIONS_MAX_LENGTH = AgendaItem._meta.get_field("conditions").max_length


# --- reads --------------------------------------------------------------------------------------
class OutcomeSerializer(Serializer):
    """``policies.voting.Outcome`` as stored on the item when the session closed (without the
    ids of members whose votes were ignored)."""

    result = serializers.ChoiceField(choices=list(voting.RESULTS), read_only=True)
    yes = serializers.IntegerField(read_only=True)
    no = serializers.IntegerField(read_only=True)
    abstain = serializers.IntegerField(read_only=True)
    eligible_voters = serializers.IntegerField(read_only=True)
    recused = serializers.IntegerField(read_only=True)
    votes_cast = serializers.IntegerField(read_only=True)
    quorum_needed = serializers.IntegerField(read_only=True)
    quorum_met = serializers.BooleanField(read_only=True)
    explanation = serializers.CharField(read_only=True)


class _OutcomeMixin(Serializer):
    outcome = serializers.SerializerMethodField()

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, item):
        return OutcomeSerializer(item.outcome).data if item.outcome else None


class AgendaItemSerializer(_OutcomeMixin, ModelSerializer):
    """One item of the agenda, with the counts ``rounds.selectors.visible_agenda_items``
    annotates.

    Callers outside the staff see the vote counts only once the round is decided.
    """

    reference = serializers.CharField(source="application.reference", read_only=True)
    title = serializers.CharField(source="application.title", read_only=True)
    requested_amount = MoneyField(source="application.requested_amount", read_only=True)
    proposed_amount = MoneyField(read_only=True, allow_null=True)
    state = serializers.ChoiceField(choices=ItemState.choices, read_only=True)
    votes_yes = serializers.IntegerField(read_only=True, allow_null=True)
    votes_no = serializers.IntegerField(read_only=True, allow_null=True)
    votes_abstain = serializers.IntegerField(read_only=True, allow_null=True)
    # Not an enum in the schema: the choice set is named by the vote request's ``choice``.
    my_vote = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_("The caller's own vote on the item (yes, no or abstain), if any."),
    )
    my_recusal = serializers.BooleanField(
        read_only=True, help_text=_("Whether the caller is recused from the item.")
    )

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "round",
            "position",
            "application",
            "reference",
            "title",
            "requested_amount",
            "proposed_amount",
            "conditions",
            "funding_type",
            "deferral_requested",
            "state",
            "votes_yes",
            "votes_no",
            "votes_abstain",
            "outcome",
            "my_vote",
            "my_recusal",
            "notified_on",
            "notified_via",
        ]
        read_only_fields = fields

    def to_representation(self, item):
        data = super().to_representation(item)
        # A decided round's vote counts are no secret any more.
        if not self.context.get("staff") and item.round.state not in DECIDED_STATES:
            data["votes_yes"] = data["votes_no"] = data["votes_abstain"] = None
        return data


class AttendanceSerializer(Serializer):
    member = serializers.CharField(source="member.username", read_only=True)
    at_opening = serializers.BooleanField(read_only=True)
    arrived_at = serializers.DateTimeField(read_only=True)
    left_at = serializers.DateTimeField(read_only=True, allow_null=True)


class RoundSerializer(ModelSerializer):
    """A round with the agenda items the caller may see (``visible_items``), for the list and
    the detail alike."""

    fund = serializers.CharField(source="fiscal_year.fund.code", read_only=True)
    year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    state = serializers.ChoiceField(choices=RoundState.choices, read_only=True)
    agenda = AgendaItemSerializer(source="visible_items", many=True, read_only=True)
    chaired_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    minutes_signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attendance = serializers.SerializerMethodField(
        help_text=_(
            "Who was present in the session (staff only, else null): one entry per stretch "
            "of presence, from the opening or a late arrival until a departure."
        )
    )

    class Meta:
        model = FundingRound
        fields = [
            "id",
            "fiscal_year",
            "fund",
            "year",
            "number",
            "submission_deadline",
            "session_date",
            "state",
            "opened_at",
            "closed_at",
            "chaired_by",
            "minute_taker",
            "minutes_signed_at",
            "minutes_signed_by",
            "cancelled_at",
            "cancellation_reason",
            "attendance",
            "agenda",
        ]
        read_only_fields = fields

    @extend_schema_field(AttendanceSerializer(many=True, allow_null=True))
    def get_attendance(self, funding_round):
        if not self.context.get("staff"):
            return None
        return AttendanceSerializer(funding_round.attendance.all(), many=True).data


class DecisionSerializer(_OutcomeMixin, ModelSerializer):
    """What the session decided on one item; ``approved_amount`` is what was committed.

    ``result`` is the vote's result (``no_quorum`` is kept apart from ``rejected``, the item's
    state for both); the item's ``state`` is in the round's agenda.
    """

    item = serializers.IntegerField(source="pk", read_only=True)
    reference = serializers.CharField(source="application.reference", read_only=True)
    result = serializers.SerializerMethodField()
    proposed_amount = MoneyField(read_only=True, allow_null=True)
    approved_amount = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = AgendaItem
        fields = [
            "item",
            "application",
            "reference",
            "result",
            "proposed_amount",
            "approved_amount",
            "conditions",
            "outcome",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=list(voting.RESULTS)))
    def get_result(self, item) -> str:
        return (item.outcome or {}).get("result", "")


class RoundDecisionsSerializer(Serializer):
    """The answer to closing a session (and to every repeat of it)."""

    round = serializers.IntegerField(source="id", read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    committed_total = MoneyField(
        read_only=True, allow_zero=True, help_text=_("The sum of the approved amounts.")
    )
    decisions = DecisionSerializer(many=True, read_only=True)


# --- requests -----------------------------------------------------------------------------------
class RoundCreateSerializer(Serializer):
    fiscal_year = serializers.PrimaryKeyRelatedField(
        queryset=FiscalYear.objects.all(), help_text=_("Fiscal year id")
    )
    number = serializers.IntegerField(min_value=1, max_value=32767)
    submission_deadline = serializers.DateField()
    session_date = serializers.DateField()


class OpenSessionSerializer(Serializer):
    present = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=200,
        help_text=_(
            "User ids of the members present at the opening (entitled to vote that day). "
            "Omitted: every entitled member is recorded present. The one opening the session "
            "is always present."
        ),
    )


class RescheduleSerializer(Serializer):
    session_date = serializers.DateField()
    reason = serializers.CharField(max_length=SHORT_TEXT)


class CancelRoundSerializer(Serializer):
    reason = serializers.CharField(max_length=SHORT_TEXT)


class AttendanceChangeSerializer(Serializer):
    member = serializers.IntegerField(min_value=1, help_text=_("User id of the member"))
    change = serializers.ChoiceField(choices=[("arrived", "arrived"), ("left", "left")])


class _VisibleApplicationField(serializers.PrimaryKeyRelatedField):
    """An application by id, among those the caller may see (``context["request"]``)."""

    def get_queryset(self):
        return applications_visible_to(self.context["request"].user)


class AgendaAddSerializer(Serializer):
    application = _VisibleApplicationField(
        queryset=Application.objects.none(), help_text=_("Application id")
    )


class ProposalSerializer(Serializer):
    amount = MoneyField(help_text=_("At most the requested amount."))
    conditions = multi_line_text(
        max_length=CONDITIONS_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    funding_type = serializers.ChoiceField(
        choices=FundingType.choices,
        required=False,
        help_text=_("deficit, share or fixed; left out: the fund's default."),
    )


class VoteSerializer(Serializer):
    choice = serializers.ChoiceField(choices=Vote.Choice.choices)


class SignMinutesSerializer(Serializer):
    minute_taker = serializers.CharField(
        max_length=FundingRound._meta.get_field("minute_taker").max_length,
        help_text=_("Who kept the minutes (Protokollführung)."),
    )


class NotificationSerializer(Serializer):
    notified_on = serializers.DateField(help_text=_("The day the notice reached the applicant."))
    via = serializers.ChoiceField(choices=NoticeDelivery.choices)
