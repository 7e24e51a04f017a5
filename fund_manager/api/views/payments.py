"""Payment requests through the API (docs/api.md, "Payments").

- ``POST /applications/{id}/payment-requests/`` ``{amount, needed_by, declaration}`` (recipient)
- ``GET /payment-requests/?state=&fiscal_year=&application=`` and ``GET /payment-requests/{id}/``
- ``POST /payment-requests/{id}/cancel/`` ``{reason}`` (recipient, before the order),
  ``.../certify/`` (project office), ``.../order/`` (finance, not the certifier),
  ``.../reject/`` ``{reason}`` (office or finance, before the export)

Every change is one use case of ``workflows.payments``. Order of refusals: 404 (the caller
cannot see it), 403 (a role or person that may not do this, before the body is looked at), 400
(field errors, also an amount above what is left), 409 with the service's code
(``not_final``, ``not_notified``, ``not_payable``, ``wrong_state``, ``spending_frozen``).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from fund_manager.core.roles import Role, has_role
from fund_manager.payments import selectors
from fund_manager.payments.models import PaymentRequest
from fund_manager.rounds import services as round_services
from policies import payments as rules
from workflows import payments as use_cases

from ..filters import PaymentRequestFilter
from ..idempotency import IDEMPOTENCY_HEADER, idempotency_key
from ..serializers.payments import (
    PaymentRequestCreateSerializer,
    PaymentRequestSerializer,
    ReasonSerializer,
    RemedyWaiverAnswerSerializer,
    RemedyWaiverSerializer,
)
from ._common import (
    FORBIDDEN,
    NOT_FOUND,
    VisibleViewSet,
    action_responses,
    application_or_404,
    post_action,
    require,
    validated,
)

_TAGS = ["payments"]


class ApplicationPaymentRequestsView(APIView):
    @extend_schema(
        tags=_TAGS,
        request=PaymentRequestCreateSerializer,
        responses=action_responses(
            OpenApiResponse(description="A repeated Idempotency-Key: the first request."),
            created=PaymentRequestSerializer,
            bad=OpenApiResponse(description="Field errors (also: above what is left)."),
            forbidden=FORBIDDEN,
        ),
        description=(
            "The recipient requests money of its approval. Refused before the notice is final "
            "(409 `not_final`, the message names the day), without a recorded notification "
            "(409 `not_notified`); `needed_by` at most two months ahead and `amount` at most "
            "what is left (400). The first request moves the application to `in_payment`. "
            "With an `Idempotency-Key` used before for the same amount and date: 200 with the "
            "first request, nothing new; for other content: 409 `idempotency_conflict`."
        ),
    )
    def post(self, request, pk):
        application = application_or_404(request, pk)
        require(rules.may_request(request.user, application))
        key = idempotency_key(request)
        data = validated(PaymentRequestCreateSerializer, request)
        payment = use_cases.request_payment(
            application=application, by=request.user, idempotency_key=key, **data
        )
        fresh = selectors.payment_detail(request.user, payment.pk)
        response = Response(
            PaymentRequestSerializer(fresh).data,
            status=status.HTTP_200_OK if payment.repeated else status.HTTP_201_CREATED,
        )
        if key:
            response[IDEMPOTENCY_HEADER] = key
        return response


def _routed(description, request=None):
    return post_action(
        tags=_TAGS,
        request=request,
        responses=action_responses(PaymentRequestSerializer, forbidden=FORBIDDEN),
        description=description,
    )


@extend_schema_view(
    list=extend_schema(tags=_TAGS),
    retrieve=extend_schema(tags=_TAGS, responses={200: PaymentRequestSerializer, 404: NOT_FOUND}),
)
class PaymentRequestViewSet(VisibleViewSet):
    serializer_class = PaymentRequestSerializer
    filterset_class = PaymentRequestFilter
    queryset = PaymentRequest.objects.none()  # for the schema; get_queryset scopes each request

    def get_queryset(self):
        return selectors.payment_list(self.request.user)

    def load(self, pk):
        return selectors.payment_detail(self.request.user, pk)

    def _answer(self, payment):
        return Response(self.serialize(self.load(payment.pk)))

    @_routed("The recipient withdraws its request before it is ordered.", ReasonSerializer)
    def cancel(self, request, pk=None):
        payment = self.get_object()
        require(rules.may_cancel(request.user, payment.application))
        data = validated(ReasonSerializer, request)
        return self._answer(
            use_cases.cancel_payment(payment=payment, by=request.user, reason=data["reason"])
        )

    @_routed("The project office certifies the request as correct (sachlich richtig).")
    def certify(self, request, pk=None):
        payment = self.get_object()
        require(rules.may_certify(request.user, payment.application.organisation_id))
        return self._answer(use_cases.certify_payment(payment=payment, by=request.user))

    @_routed(
        "Finance orders the payment (Anordnung) and gives its document number; never the "
        "person who certified it. 409 `spending_frozen` while a spending freeze is in force."
    )
    def order(self, request, pk=None):
        payment = self.get_object()
        require(
            rules.may_order(
                request.user, payment.application.organisation_id, payment.certified_by_id
            )
        )
        return self._answer(use_cases.order_payment(payment=payment, by=request.user))

    @_routed("The office or finance rejects the request before it is exported.", ReasonSerializer)
    def reject(self, request, pk=None):
        payment = self.get_object()
        require(rules.may_reject(request.user, payment.application.organisation_id))
        data = validated(ReasonSerializer, request)
        return self._answer(
            use_cases.reject_payment(payment=payment, by=request.user, reason=data["reason"])
        )


class RemedyWaiverView(APIView):
    @extend_schema(
        tags=_TAGS,
        request=RemedyWaiverSerializer,
        responses=action_responses(RemedyWaiverAnswerSerializer, forbidden=FORBIDDEN),
        description=(
            "The project office records the applicant's written waiver of legal remedy: the "
            "notice is final from `waived_on` (not before the notification; 409 "
            "`not_notified` without one, `not_approved` for anything but an approval)."
        ),
    )
    def post(self, request, pk):
        application = application_or_404(request, pk)
        require(has_role(request.user, Role.PROJECT_OFFICE))
        item = selectors.approving_item(application)
        if item is None:
            raise NotFound()
        data = validated(RemedyWaiverSerializer, request)
        item = round_services.record_remedy_waiver(item=item, by=request.user, **data)
        item.payable_from = selectors.payable_from(application)
        return Response(RemedyWaiverAnswerSerializer(item).data)
