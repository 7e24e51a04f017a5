"""The budget ledger over HTTP: balances and the journal of a fiscal year, and the finance
bookings (budget, allocation, reallocation, reversal).

Reads go through ``ledger.selectors``; every booking is one call of ``ledger.services``, which
checks the role again, refuses what the state forbids and answers a repeated idempotency key
(fund_manager.api.exceptions turns its errors into 400/403/409). The views never create a
transfer themselves.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fund_manager.core.errors import NotPermitted
from fund_manager.core.money import quantize
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import selectors, services
from fund_manager.ledger.errors import InsufficientFunds
from fund_manager.ledger.models import Transfer, TransferKind

from ..exceptions import exception_handler
from ..filters import IdFilter
from ..idempotency import IDEMPOTENCY_HEADER, KEY_MAX_LENGTH, idempotency_key
from ..serializers.ledger import (
    AllocationCreateSerializer,
    BalancesSerializer,
    BudgetSetSerializer,
    ReallocationCreateSerializer,
    ReversalCreateSerializer,
    TransferSerializer,
)


class LedgerPermission(permissions.BasePermission):
    """Reading needs ``ledger.view_ledger`` (finance, project office, audit office); booking
    needs ``ledger.manage_budget`` (finance). Refused as 403 ``{"detail", "code"}``."""

    def has_permission(self, request, view):
        needed = (
            "ledger.view_ledger"
            if request.method in permissions.SAFE_METHODS
            else "ledger.manage_budget"
        )
        if not request.user.has_perm(needed):
            raise NotPermitted()
        return True


def ledger_exception_handler(exc, context):
    """The project's handler, plus the missing amount on ``insufficient_funds``."""
    response = exception_handler(exc, context)
    if isinstance(exc, InsufficientFunds) and response is not None:
        response.data["shortfall"] = f"{quantize(exc.shortfall):.2f}"
    return response


class _LedgerView:
    permission_classes = [permissions.IsAuthenticated, LedgerPermission]

    def get_exception_handler(self):
        return ledger_exception_handler


def _booked(request, posting, key):
    """The service's ``Posting`` as a response: 201 for a new transfer, 200 when ``key`` was
    used before in that year (the service returned the first booking and booked nothing)."""
    transfer = _journal(posting.transfer.fiscal_year_id).get(pk=posting.transfer.pk)
    response = Response(
        TransferSerializer(transfer).data,
        status=status.HTTP_201_CREATED if posting.created else status.HTTP_200_OK,
    )
    response[IDEMPOTENCY_HEADER] = key
    response["Location"] = request.build_absolute_uri(
        reverse("api:transfer-detail", kwargs={"pk": transfer.pk})
    )
    return response


def _journal(fiscal_year):
    return selectors.journal(fiscal_year).select_related("reversed_by").order_by("-sequence")


# --- schema ------------------------------------------------------------------------------------
_TAGS = ["ledger"]
_IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"1 to {KEY_MAX_LENGTH} printable ASCII characters (no spaces), unique per fiscal "
        "year. The same key with the same request "
        "returns the first transfer (200) and books nothing; with another request it is a 409. "
        "Without the header a fresh key is generated (answered in the response header), so a "
        "retry without it books again."
    ),
)
_YEAR_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Fiscal year id"
)
_CONFLICT = OpenApiResponse(
    response=inline_serializer(
        "LedgerConflict",
        fields={
            "detail": serializers.CharField(),
            "code": serializers.CharField(),
            "shortfall": serializers.CharField(
                required=False, help_text="Only with code insufficient_funds: the missing money."
            ),
        },
    ),
    description=(
        "Refused, nothing booked: insufficient_funds (with shortfall), fiscal_year_closed, "
        "idempotency_conflict, not_reversible, tied_to_application (a transfer of an "
        "application: change the approval through the application instead)."
    ),
)
_BOOKING_RESPONSES = {
    201: OpenApiResponse(TransferSerializer, description="Booked."),
    200: OpenApiResponse(
        TransferSerializer, description="Repeated Idempotency-Key: the first transfer."
    ),
    400: OpenApiResponse(description="Bad input: {field: [messages]}."),
    403: OpenApiResponse(description="Only finance books."),
    404: OpenApiResponse(description="No such fiscal year or transfer."),
    409: _CONFLICT,
}


def _booking_schema(request_serializer, summary, *, year=True):
    return extend_schema(
        tags=_TAGS,
        summary=summary,
        request=request_serializer,
        responses=_BOOKING_RESPONSES,
        parameters=[_YEAR_PARAMETER, _IDEMPOTENCY_PARAMETER] if year else [_IDEMPOTENCY_PARAMETER],
    )


# --- /fiscal-years/{id}/... ---------------------------------------------------------------------
class FiscalYearLedgerViewSet(_LedgerView, viewsets.GenericViewSet):
    """Ledger actions of a fiscal year (the fiscal year itself is reference data)."""

    queryset = FiscalYear.objects.select_related("fund")
    serializer_class = TransferSerializer
    lookup_value_converter = "int"

    def _year(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _input(self, serializer_class, year):
        serializer = serializer_class(data=self.request.data, context={"fiscal_year": year})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        tags=_TAGS,
        parameters=[_YEAR_PARAMETER],
        responses={200: BalancesSerializer, 403: OpenApiResponse(), 404: OpenApiResponse()},
    )
    @action(detail=True, methods=["get"], serializer_class=BalancesSerializer)
    def balances(self, request, pk=None):
        """Budget, unallocated money and every action field's balances."""
        return Response(BalancesSerializer(selectors.balances(self._year())).data)

    @_booking_schema(AllocationCreateSerializer, "Allocate unallocated budget to an action field")
    @action(detail=True, methods=["post"], serializer_class=AllocationCreateSerializer)
    def allocations(self, request, pk=None):
        """Book `unallocated -> available` of the action field (finance)."""
        year = self._year()
        key = idempotency_key(request, generate=True)
        data = self._input(AllocationCreateSerializer, year)
        posting = services.allocate(
            fiscal_year=year,
            action_field=data["action_field"],
            amount=data["amount"],
            reason=data["reason"],
            by=request.user,
            idempotency_key=key,
        )
        return _booked(request, posting, key)

    @_booking_schema(ReallocationCreateSerializer, "Move money between two action fields")
    @action(detail=True, methods=["post"], serializer_class=ReallocationCreateSerializer)
    def reallocations(self, request, pk=None):
        """Umschichtung: book `available` of one action field to another; a reason is required."""
        year = self._year()
        key = idempotency_key(request, generate=True)
        data = self._input(ReallocationCreateSerializer, year)
        posting = services.reallocate(
            fiscal_year=year,
            from_field=data["from_action_field"],
            to_field=data["to_action_field"],
            amount=data["amount"],
            reason=data["reason"],
            by=request.user,
            idempotency_key=key,
        )
        return _booked(request, posting, key)

    @_booking_schema(BudgetSetSerializer, "Set the annual budget (books the difference)")
    @action(detail=True, methods=["post"], serializer_class=BudgetSetSerializer)
    def budget(self, request, pk=None):
        """Set the annual budget: books the difference to the current one between `budget` and
        `unallocated` (a reduction needs that much unallocated money)."""
        year = self._year()
        key = idempotency_key(request, generate=True)
        data = self._input(BudgetSetSerializer, year)
        posting = services.set_budget(
            fiscal_year=year,
            amount=data["amount"],
            reason=data["reason"],
            by=request.user,
            idempotency_key=key,
        )
        return _booked(request, posting, key)


class TransferFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=TransferKind.choices)
    account = IdFilter(method="filter_account", help_text=_("Account id: transfers from or to it"))
    application = IdFilter(field_name="application_id", help_text=_("Application id"))
    # ISO dates only (API.md): the German locale would otherwise also accept "01.03.2031".
    date_from = filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        input_formats=["%Y-%m-%d"],
        help_text=_("Booked on or after (YYYY-MM-DD, Europe/Berlin)"),
    )
    date_to = filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        input_formats=["%Y-%m-%d"],
        help_text=_("Booked on or before (YYYY-MM-DD, Europe/Berlin)"),
    )

    class Meta:
        model = Transfer
        fields = ["kind", "account", "application", "date_from", "date_to"]

    def filter_account(self, queryset, name, value):
        return queryset.filter(Q(source_id=value) | Q(target_id=value))


@extend_schema(tags=_TAGS, parameters=[_YEAR_PARAMETER])
class FiscalYearTransferList(_LedgerView, generics.ListAPIView):
    """The journal of a fiscal year, newest first."""

    serializer_class = TransferSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TransferFilter
    queryset = Transfer.objects.none()  # for the schema; get_queryset reads the year's journal

    def get_queryset(self):
        year = get_object_or_404(FiscalYear, pk=self.kwargs["pk"])
        return _journal(year)


# --- /transfers/{id}/ ---------------------------------------------------------------------------
class TransferViewSet(_LedgerView, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TransferSerializer
    lookup_value_converter = "int"

    def get_queryset(self):
        return Transfer.objects.select_related(
            "source__action_field", "target__action_field", "created_by", "reversed_by"
        )

    @extend_schema(tags=_TAGS)
    def retrieve(self, request, *args, **kwargs):
        """One transfer of the ledger."""
        return super().retrieve(request, *args, **kwargs)

    @_booking_schema(ReversalCreateSerializer, "Reverse a transfer (counter-booking)", year=False)
    @action(detail=True, methods=["post"], serializer_class=ReversalCreateSerializer)
    def reversal(self, request, pk=None):
        """A counter-booking naming the original. Reversals and budget transfers cannot be
        reversed, and a transfer only once. A transfer of an application (commitment, release,
        disbursement, refund, a carried commitment) is refused with 409
        `tied_to_application`: it moves only through the application's services."""
        original = self.get_object()
        key = idempotency_key(request, generate=True)
        serializer = ReversalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        posting = services.reverse_transfer(
            transfer=original,
            reason=serializer.validated_data["reason"],
            by=request.user,
            idempotency_key=key,
        )
        return _booked(request, posting, key)
