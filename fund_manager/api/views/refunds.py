"""Refund claims through the API (docs/api.md, "Refunds").

- ``GET /refund-claims/?state=&fiscal_year=&application=`` (open first) and
  ``GET /refund-claims/{id}/``: with what is owed today (principal, interest) and the receipts
- ``POST /refund-claims/{id}/received/`` ``{amount, received_on}`` (finance; ``Idempotency-Key``)
- ``POST /refund-claims/{id}/waive-interest/`` ``{reason}`` (project office)

Every change is one use case of ``workflows.refunds``. Order of refusals: 404 (the caller
cannot see the claim), 403 (a role or person that may not do this, before the body is looked
at), 400 (field errors, also more than is owed: ``overpayment``), 409 with the service's code
(``claim_settled``, ``interest_waived``, ``idempotency_conflict``).
"""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from fund_manager.core.errors import NotPermitted
from fund_manager.settlement.models import ClaimState, RefundClaim
from fund_manager.settlement.selectors import claims as selectors
from fund_manager.settlement.services import claims as rules
from workflows import refunds as use_cases

from ..idempotency import IDEMPOTENCY_HEADER, idempotency_key
from ..serializers.refunds import (
    RefundClaimSerializer,
    RefundReceiptSerializer,
    RefundReceivedSerializer,
    WaiveInterestSerializer,
)
from ._common import validated

_TAGS = ["refunds"]
_NOT_FOUND = OpenApiResponse(description="Does not exist or is not visible to the caller.")
_FORBIDDEN = OpenApiResponse(description="The caller may not do this.")
_CONFLICT = OpenApiResponse(description="The state forbids this: {detail, code}.")
_BAD = OpenApiResponse(description="Field errors (also `overpayment`: more than is owed).")


class RefundClaimFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=ClaimState.choices)
    fiscal_year = filters.NumberFilter(
        field_name="application__fiscal_year__year", help_text="Fiscal year (e.g. 2017)"
    )
    fiscal_year.field_class = forms.IntegerField
    application = filters.NumberFilter(field_name="application_id", help_text="Application id")
    application.field_class = forms.IntegerField

    class Meta:
        model = RefundClaim
        fields = ["state", "fiscal_year", "application"]


class RefundClaimViewSet(viewsets.GenericViewSet):
    serializer_class = RefundClaimSerializer
    filterset_class = RefundClaimFilter
    filter_backends = [filters.DjangoFilterBackend]
    lookup_value_converter = "int"
    queryset = RefundClaim.objects.none()  # for the schema; get_queryset scopes each request

    def get_queryset(self):
        return (
            selectors.claim_list(self.request.user)
            .select_related("decided_by")
            .prefetch_related("receipts__recorded_by")
        )

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except RefundClaim.DoesNotExist as exc:
            raise NotFound() from exc

    def _context(self):
        return {"request": self.request, "table": selectors.base_rate_table()}

    def _answer(self, claim, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=claim.pk)
        return Response(RefundClaimSerializer(fresh, context=self._context()).data, status=code)

    @extend_schema(
        tags=_TAGS,
        description="The refund claims the caller may see (providers: their organisations'), "
        "open ones first, each with what is owed today.",
    )
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = RefundClaimSerializer(page, many=True, context=self._context()).data
        return self.get_paginated_response(data)

    @extend_schema(tags=_TAGS, responses={200: RefundClaimSerializer, 404: _NOT_FOUND})
    def retrieve(self, request, pk=None):
        return Response(RefundClaimSerializer(self.get_object(), context=self._context()).data)

    @extend_schema(
        tags=_TAGS,
        request=RefundReceivedSerializer,
        responses={
            201: RefundClaimSerializer,
            200: RefundClaimSerializer,
            400: _BAD,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
        description=(
            "Finance records a refund received (partial or full). It pays the interest accrued "
            "up to `received_on` first, then the amount claimed (§ 367 BGB); the answer's "
            "`last_receipt` shows the split. Booked back to the year of the payment while it "
            "is open, else as income from a prior year in the current open year; interest as "
            "interest income. The claim is settled when nothing is owed. Send an "
            "`Idempotency-Key`: the same key again answers 200 with the first receipt and "
            "books nothing; another request with that key is a 409 `idempotency_conflict`."
        ),
    )
    def received(self, request, pk=None):
        claim = self.get_object()
        if not rules.may_record_refund(request.user, claim):
            raise NotPermitted()
        key = idempotency_key(request, generate=True)
        data = validated(RefundReceivedSerializer, request)
        result = use_cases.record_refund(
            claim=claim,
            by=request.user,
            amount=data["amount"],
            received_on=data["received_on"],
            idempotency_key=key,
        )
        response = self._answer(
            claim, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )
        response.data["last_receipt"] = RefundReceiptSerializer(result.receipt).data
        response[IDEMPOTENCY_HEADER] = key
        return response

    @extend_schema(
        tags=_TAGS,
        request=WaiveInterestSerializer,
        responses={
            200: RefundClaimSerializer,
            400: _BAD,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
        description=(
            "The project office waives the interest with a reason (§ 49a Abs. 3 VwVfG): from "
            "today no interest is owed; interest already paid stays paid. With the principal "
            "paid the claim is settled. 409 `interest_waived` when it was waived before."
        ),
    )
    def waive_interest(self, request, pk=None):
        claim = self.get_object()
        if not rules.may_waive_interest(request.user, claim):
            raise NotPermitted()
        data = validated(WaiveInterestSerializer, request)
        waived = use_cases.waive_interest(claim=claim, by=request.user, reason=data["reason"])
        return self._answer(waived)
