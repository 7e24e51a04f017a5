"""/api/v1/rounds/ and /api/v1/agenda-items/: funding rounds, the agenda and the session.

Every change is one call of ``rounds.services`` or, where a process moves too, of its use
case in ``workflows.rounds``; they check the role (project office, the chair of the round's
steering group, an entitled member) and the state again and book the commitments through the
ledger; their errors become 400/403/409 (fund_manager.api.exceptions), a funding shortfall
carries the missing money per action field (``rounds_exception_handler``).

Visibility: every signed-in user sees the rounds (dates and state: applicants plan by them);
an agenda item exists for the caller only if the caller may see its application
(``applications.selectors``), so an applicant never learns about other applicants' items (404).
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from fund_manager.core.errors import NotPermitted
from fund_manager.core.money import quantize
from fund_manager.core.roles import Role, has_role, is_staff_reader
from fund_manager.rounds import documents, selectors, services
from fund_manager.rounds.document_views import pdf_response
from fund_manager.rounds.models import AgendaItem, FundingRound, RoundState
from workflows import rounds as use_cases

from ..exceptions import exception_handler
from ..filters import IdFilter
from ..idempotency import IDEMPOTENCY_HEADER, idempotency_key
from ..serializers.rounds import (
    AgendaAddSerializer,
    AgendaItemSerializer,
    AttendanceChangeSerializer,
    CancelRoundSerializer,
    NotificationSerializer,
    OpenSessionSerializer,
    ProposalSerializer,
    RescheduleSerializer,
    RoundCreateSerializer,
    RoundDecisionsSerializer,
    RoundSerializer,
    SignMinutesSerializer,
    VoteSerializer,
)
from . import _rounds_schema as schema
from ._common import validated


def rounds_exception_handler(exc, context):
    """The project's handler, plus ``shortfalls`` on ``insufficient_funds``."""
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, services.FundingShortfall):
        response.data["shortfalls"] = {
            code: f"{quantize(amount):.2f}" for code, amount in sorted(exc.shortfalls.items())
        }
    return response


def _require_role(user, *roles):
    """Refuse a role that may never do this (none of ``roles``) before its input is looked at
    (403). The services check again, and more precisely (the chair of *this* steering group)."""
    if not any(has_role(user, role) for role in roles):
        raise NotPermitted()


class RoundFilter(filters.FilterSet):
    fiscal_year = IdFilter(field_name="fiscal_year_id", help_text=_("Fiscal year id"))
    fund = filters.CharFilter(field_name="fiscal_year__fund__code", help_text=_("Fund code"))
    state = filters.ChoiceFilter(choices=RoundState.choices)

    class Meta:
        model = FundingRound
        fields = ["fiscal_year", "fund", "state"]


@extend_schema_view(
    list=extend_schema(
        tags=schema.TAGS, description="Every round; filter by fiscal year or state."
    ),
)
class RoundViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = RoundSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RoundFilter
    lookup_value_converter = "int"
    queryset = FundingRound.objects.select_related(
        "fiscal_year__fund", "chaired_by", "minutes_signed_by"
    ).order_by("fiscal_year__fund__code", "-fiscal_year__year", "number", "id")

    def get_queryset(self):
        # The agenda as the caller may see it (every page of the list, and the detail).
        return self.queryset.prefetch_related(
            Prefetch(
                "items",
                queryset=selectors.visible_agenda_items(self.request.user),
                to_attr="visible_items",
            ),
            "attendance__member",
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "staff": is_staff_reader(self.request.user)}

    def get_exception_handler(self):
        return rounds_exception_handler

    def _round(self):
        return get_object_or_404(self.queryset, pk=self.kwargs["pk"])

    def _detail(self, funding_round, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=funding_round.pk)
        serializer = RoundSerializer(fresh, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    def _change(self, service, serializer_class, *roles):
        """A round action with a body: 404, 403 (none of ``roles``), 400 for the body, then
        ``service(funding_round=..., by=..., **body)``; answers the round."""
        funding_round = self._round()
        _require_role(self.request.user, *roles)
        data = validated(serializer_class, self.request)
        return self._detail(service(funding_round=funding_round, by=self.request.user, **data))

    @extend_schema(tags=schema.TAGS, responses={200: RoundSerializer, 404: schema.NOT_FOUND})
    def retrieve(self, request, pk=None):
        """A round with its agenda (the items whose application the caller may see)."""
        return self._detail(self._round())

    @extend_schema(
        tags=schema.TAGS,
        request=RoundCreateSerializer,
        responses={201: RoundSerializer, 400: schema.BAD_INPUT, 403: schema.FORBIDDEN},
    )
    def create(self, request):
        """Plan a round (project office); its dates must not overlap the year's other rounds."""
        _require_role(request.user, Role.PROJECT_OFFICE)
        data = validated(RoundCreateSerializer, request)
        funding_round = services.plan_round(by=request.user, **data)
        return self._detail(funding_round, status.HTTP_201_CREATED)

    @extend_schema(
        tags=["rounds"],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The minutes of a decided round as a tagged PDF (staff of that round).",
    )
    def minutes(self, request, pk=None):  # routed in api/urls.py: no trailing slash (docs/api.md)
        funding_round = get_object_or_404(FundingRound, pk=pk)
        if not documents.can_read_minutes(request.user, funding_round):
            raise NotPermitted()
        if funding_round.state not in documents.MINUTES_STATES:
            raise NotFound()
        return pdf_response(
            documents.minutes_pdf(funding_round), documents.minutes_filename(funding_round)
        )

    @schema.round_action("Open the round for applications (project office): planned -> open.")
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        funding_round = services.open_round(funding_round=self._round(), by=request.user)
        return self._detail(funding_round)

    @schema.round_action(
        "Put an eligible (or deferred) application on the agenda of an open round (project "
        "office). Answers the new agenda item. Not eligible: 409 not_eligible.",
        request=AgendaAddSerializer,
        ok=AgendaItemSerializer,
        ok_status=201,
    )
    @action(detail=True, methods=["post"], serializer_class=AgendaAddSerializer)
    def agenda(self, request, pk=None):
        funding_round = self._round()
        _require_role(request.user, Role.PROJECT_OFFICE)
        data = validated(AgendaAddSerializer, request, context={"request": request})
        item = services.add_to_agenda(
            funding_round=funding_round, application=data["application"], by=request.user
        )
        fresh = selectors.visible_agenda_items(request.user).get(pk=item.pk)
        return Response(
            AgendaItemSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @schema.round_action("Close the round for submissions (project office): the agenda freezes.")
    @action(detail=True, methods=["post"], url_path="close-submissions")
    def close_submissions(self, request, pk=None):
        funding_round = use_cases.close_submissions(funding_round=self._round(), by=request.user)
        return self._detail(funding_round)

    @schema.round_action(
        "Open the session (chair of the round's steering group) on its scheduled day only "
        "(before: 409 session_not_due, after: 409 session_day_passed; reschedule first): "
        "freezes who may vote, records who is present (`present`, optional: omitted records "
        "every entitled member) and recuses members of applicant organisations.",
        request=OpenSessionSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="open-session",
        serializer_class=OpenSessionSerializer,
    )
    def open_session(self, request, pk=None):
        return self._change(use_cases.open_session, OpenSessionSerializer, Role.CHAIR)

    @schema.round_action(
        "Move the session to another day before it is opened (project office, or the chair "
        "of the round): not in the past, not before the submission deadline. Audited; the "
        "members of the steering group are told by e-mail.",
        request=RescheduleSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=RescheduleSerializer)
    def reschedule(self, request, pk=None):
        return self._change(
            services.reschedule_session, RescheduleSerializer, Role.PROJECT_OFFICE, Role.CHAIR
        )

    @schema.round_action(
        "Cancel a planned or open round with an empty agenda (project office), with a "
        "reason. Items on the agenda: 409 agenda_not_empty.",
        request=CancelRoundSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=CancelRoundSerializer)
    def cancel(self, request, pk=None):
        return self._change(use_cases.cancel_round, CancelRoundSerializer, Role.PROJECT_OFFICE)

    @schema.round_action(
        "The chair records a late arrival (`arrived`) or a departure (`left`) of an entitled "
        "member during the session; only present members vote. 409 already_present, "
        "not_present, leader_cannot_leave, session_not_open.",
        request=AttendanceChangeSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=AttendanceChangeSerializer)
    def attendance(self, request, pk=None):
        funding_round = self._round()
        _require_role(request.user, Role.CHAIR)
        data = validated(AttendanceChangeSerializer, request)
        member = get_user_model().objects.filter(pk=data["member"]).first()
        if member is None:
            raise ValidationError(
                {"member": [_("This person is not entitled to vote in this session.")]}
            )
        funding_round = services.record_attendance(
            funding_round=funding_round,
            member=member,
            arrived=data["change"] == "arrived",
            by=request.user,
        )
        return self._detail(funding_round)

    @extend_schema(
        tags=schema.TAGS,
        request=None,
        parameters=[schema.IDEMPOTENCY_PARAMETER],
        description=(
            "Close the session (chair): decides every item, books one commitment per approval "
            "and answers the decisions. Refused as a whole (409, nothing booked) when an item "
            "has no quorum, an approval has no proposal or an action field lacks funds "
            "(`shortfalls`). A repeat after success answers 200 with the same decisions and "
            "books nothing."
        ),
        responses={
            200: RoundDecisionsSerializer,
            400: OpenApiResponse(description="Malformed Idempotency-Key header."),
            403: schema.FORBIDDEN,
            404: schema.NOT_FOUND,
            409: schema.CLOSE_CONFLICT,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="close-session",
        serializer_class=RoundDecisionsSerializer,
    )
    def close_session(self, request, pk=None):
        funding_round = self._round()
        _require_role(request.user, Role.CHAIR)
        key = idempotency_key(request)
        # A repeat after success answers the stored decisions again, nothing booked twice.
        funding_round = use_cases.close_session(
            funding_round=funding_round, by=request.user, repeat=True
        )
        response = Response(RoundDecisionsSerializer(selectors.decisions(funding_round)).data)
        if key is not None:
            response[IDEMPOTENCY_HEADER] = key
        return response

    @schema.round_action(
        "Sign the minutes (the chair, or the deputy who led the session): decided → minuted, "
        "with who kept the minutes.",
        request=SignMinutesSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="sign-minutes",
        serializer_class=SignMinutesSerializer,
    )
    def sign_minutes(self, request, pk=None):
        return self._change(use_cases.sign_minutes, SignMinutesSerializer, Role.CHAIR)


@extend_schema_view(
    retrieve=extend_schema(
        tags=schema.TAGS,
        responses={200: AgendaItemSerializer, 404: schema.NOT_FOUND},
        description=None,
    )
)
class AgendaItemViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Agenda items: the chair's proposal and deferral, the members' votes and recusals."""

    serializer_class = AgendaItemSerializer
    lookup_value_converter = "int"
    queryset = AgendaItem.objects.none()  # for the schema; get_queryset scopes every request

    def get_queryset(self):
        return selectors.visible_agenda_items(self.request.user)

    def get_exception_handler(self):
        return rounds_exception_handler

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "staff": is_staff_reader(self.request.user)}

    def _answer(self, item):
        fresh = self.get_queryset().get(pk=item.pk)
        return Response(AgendaItemSerializer(fresh, context=self.get_serializer_context()).data)

    def _change(self, service, serializer_class, *roles):
        """An item action with a body: 404, 403 (none of ``roles``, when given), 400 for the
        body, then ``service(item=..., by=..., **body)``; answers the item."""
        item = self.get_object()
        if roles:
            _require_role(self.request.user, *roles)
        data = validated(serializer_class, self.request)
        return self._answer(service(item=item, by=self.request.user, **data))

    @schema.round_action(
        "The chair's proposal: an amount of at most the requested amount, and conditions.",
        request=ProposalSerializer,
        ok=AgendaItemSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=ProposalSerializer)
    def proposal(self, request, pk=None):
        return self._change(services.set_proposal, ProposalSerializer, Role.CHAIR)

    @schema.round_action(
        "Vote yes, no or abstain (a member entitled in this session). A second vote replaces "
        "the first while the session is open. Recused: 409 recused.",
        request=VoteSerializer,
        ok=AgendaItemSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=VoteSerializer)
    def votes(self, request, pk=None):
        return self._change(services.cast_vote, VoteSerializer)

    @schema.round_action(
        "A member declares a conflict of interest: recused from the item, an earlier vote on "
        "it is withdrawn.",
        ok=AgendaItemSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=AgendaItemSerializer)
    def recusal(self, request, pk=None):
        item = services.declare_conflict(item=self.get_object(), by=request.user)
        return self._answer(item)

    @schema.round_action(
        "The chair defers the item: it is decided as deferred when the session closes.",
        ok=AgendaItemSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=AgendaItemSerializer)
    def defer(self, request, pk=None):
        item = services.defer_item(item=self.get_object(), by=request.user)
        return self._answer(item)

    @schema.round_action(
        "Record the day the notice of a decided item reached the applicant, and how "
        "(project office). A correction keeps the earlier day in the audit trail.",
        request=NotificationSerializer,
        ok=AgendaItemSerializer,
    )
    @action(detail=True, methods=["post"], serializer_class=NotificationSerializer)
    def notification(self, request, pk=None):
        return self._change(
            services.record_notification, NotificationSerializer, Role.PROJECT_OFFICE
        )
