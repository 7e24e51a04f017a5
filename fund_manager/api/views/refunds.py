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

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from fund_manager.settlement.models import RefundClaim
from fund_manager.settlement.selectors import claims as selectors
from fund_manager.settlement.services import claims as rules
from workflows import refunds as use_cases

from ..filters import RefundClaimFilter
from ..idempotency import IDEMPOTENCY_HEADER, idempotency_key
from ..serializers.refunds import (
    RefundClaimSerializer,
    RefundReceiptSerializer,
    RefundReceivedSerializer,
    WaiveInterestSerializer,
)
from ._common import (
    FORBIDDEN,
    NOT_FOUND,
    VisibleViewSet,
    action_responses,
    require,
    validated,
)

_TAGS = ["refunds"]
_BAD = OpenApiResponse(description="Field errors (also `overpayment`: more than is owed).")


@extend_schema_view(
    list=extend_schema(
        tags=_TAGS,
        description="The refund claims the caller may see (providers: their organisations'), "
        "open ones first, each with what is owed today.",
    ),
    retrieve=extend_schema(tags=_TAGS, responses={200: RefundClaimSerializer, 404: NOT_FOUND}),
)
class RefundClaimViewSet(VisibleViewSet):
    serializer_class = RefundClaimSerializer
    filterset_class = RefundClaimFilter
    queryset = RefundClaim.objects.none()  # for the schema; get_queryset scopes each request

    def get_queryset(self):
        return (
            selectors.claim_list(self.request.user)
            .select_related("decided_by")
            .prefetch_related("receipts__recorded_by")
        )

    def serializer_context(self):
        return {"request": self.request, "table": selectors.base_rate_table()}

    def _answer(self, claim, code=status.HTTP_200_OK):
        return Response(self.serialize(self.load(claim.pk)), status=code)

    @extend_schema(
        tags=_TAGS,
        request=RefundReceivedSerializer,
        responses=action_responses(
            RefundClaimSerializer, created=RefundClaimSerializer, bad=_BAD, forbidden=FORBIDDEN
        ),
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
        require(rules.may_record_refund(request.user, claim))
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
        responses=action_responses(RefundClaimSerializer, bad=_BAD, forbidden=FORBIDDEN),
        description=(
            "The project office waives the interest with a reason (§ 49a Abs. 3 VwVfG): from "
            "today no interest is owed; interest already paid stays paid. With the principal "
            "paid the claim is settled. 409 `interest_waived` when it was waived before."
        ),
    )
    def waive_interest(self, request, pk=None):
        claim = self.get_object()
        require(rules.may_waive_interest(request.user, claim))
        data = validated(WaiveInterestSerializer, request)
        waived = use_cases.waive_interest(claim=claim, by=request.user, reason=data["reason"])
        return self._answer(waived)
