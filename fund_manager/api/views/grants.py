"""Changing an approval through the API: the recipient's waiver and the office's revocation.

- ``POST /applications/{id}/waiver/`` (recipient)
- ``GET|POST /applications/{id}/revocations/`` (list: whoever sees the application; start the
  hearing: project office)
- ``GET /revocations/{id}/``, ``POST .../response/``, ``POST .../decision/``, ``POST .../drop/``,
  ``GET .../hearing-letter.pdf``, ``GET .../notice.pdf``

Every change is one use case of ``workflows.grants``. Order of refusals: 404 (the caller cannot
see the application), 403 (a role that may never do this, before the body is looked at), 400
(field errors), 409 with the service's code (``not_approved``, ``revocation_open``,
``revocation_closed``, ``hearing_pending``, ``time_limit_passed``, ``nothing_to_revoke``).
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from fund_manager.applications import documents
from fund_manager.applications.models import Revocation, RevocationStatus
from fund_manager.applications.selectors import applications_visible_to
from fund_manager.rounds.document_views import pdf_response
from fund_manager.rounds.documents import latest_decided_item
from policies import access
from policies import grants as rules
from workflows import grants as use_cases

from ..idempotency import IDEMPOTENCY_HEADER, idempotency_key
from ..serializers.grants import (
    FULL,
    DecisionSerializer,
    DropSerializer,
    GrantChangeSerializer,
    HearingSerializer,
    ResponseSerializer,
    RevocationSerializer,
    WaiverSerializer,
)
from ._common import (
    NOT_FOUND,
    action_responses,
    application_or_404,
    post_action,
    require,
    validated,
)

_TAGS = ["grants"]


def _require_office(request, application):
    require(access.may_revoke(request.user, application))


class WaiverView(APIView):
    @extend_schema(
        tags=_TAGS,
        request=WaiverSerializer,
        responses=action_responses(GrantChangeSerializer),
        description=(
            "The recipient waives the whole grant (`scope: full`, the application becomes "
            "`waived`) or part of it (`scope: partial` with `amount`, the application stays "
            "`approved` with a lower approved amount). The reduction is released from the "
            "commitment. A repeated `Idempotency-Key` answers the first result and changes "
            "nothing."
        ),
    )
    def post(self, request, pk):
        application = application_or_404(request, pk)
        require(access.may_waive(request.user, application))
        key = idempotency_key(request, generate=True)
        data = validated(WaiverSerializer, request)
        change = use_cases.waive(
            application=application,
            by=request.user,
            amount=None if data["scope"] == FULL else data["amount"],
            reason=data["reason"],
            idempotency_key=key,
        )
        response = Response(GrantChangeSerializer(change).data)
        response[IDEMPOTENCY_HEADER] = key
        return response


class ApplicationRevocationsView(APIView):
    @extend_schema(tags=_TAGS, responses={200: RevocationSerializer(many=True), 404: NOT_FOUND})
    def get(self, request, pk):
        application = application_or_404(request, pk)
        revocations = application.revocations.select_related(
            "application", "hearing_started_by", "decided_by"
        )
        return Response(RevocationSerializer(revocations, many=True).data)

    @extend_schema(
        tags=_TAGS,
        request=HearingSerializer,
        responses=action_responses(created=RevocationSerializer, bad=None),
        description=(
            "The project office starts the hearing before a revocation (§ 28 VwVfG). "
            '`intended_amount` is the new approved amount (`"0.00"`: revoke all); '
            "`response_due` defaults to 14 days from today. Nothing changes on the approval "
            "or the ledger yet."
        ),
    )
    def post(self, request, pk):
        application = application_or_404(request, pk)
        _require_office(request, application)
        data = dict(validated(HearingSerializer, request))
        data.setdefault("response_due", rules.default_response_due(timezone.localdate()))
        revocation = use_cases.start_revocation(application=application, by=request.user, **data)
        return Response(RevocationSerializer(revocation).data, status=status.HTTP_201_CREATED)


def _office_action(serializer_class, description):
    """Route and schema of an office action on a revocation (``POST .../<name>/``)."""

    return post_action(
        tags=_TAGS,
        request=serializer_class,
        responses=action_responses(RevocationSerializer, bad=None),
        description=description,
    )


class RevocationViewSet(viewsets.GenericViewSet):
    serializer_class = RevocationSerializer
    queryset = Revocation.objects.none()  # for the schema; _revocation scopes every request
    lookup_value_converter = "int"

    def _revocation(self):
        revocation = get_object_or_404(
            Revocation.objects.select_related(
                "application__organisation", "hearing_started_by", "decided_by"
            ).filter(application__in=applications_visible_to(self.request.user)),
            pk=self.kwargs["pk"],
        )
        return revocation

    def _change(self, use_case, serializer_class):
        """An office action on the revocation: 404, 403, then 400 for the body, then
        ``use_case(revocation=..., by=..., **body)`` (its refusal: 409)."""
        revocation = self._revocation()
        _require_office(self.request, revocation.application)
        data = validated(serializer_class, self.request)
        return use_case(revocation=revocation, by=self.request.user, **data)

    @extend_schema(tags=_TAGS, responses={200: RevocationSerializer, 404: NOT_FOUND})
    def retrieve(self, request, pk=None):
        return Response(RevocationSerializer(self._revocation()).data)

    @_office_action(
        ResponseSerializer, "The office records the recipient's response to the hearing."
    )
    def response(self, request, pk=None):
        revocation = self._change(use_cases.record_response, ResponseSerializer)
        return Response(RevocationSerializer(revocation).data)

    @_office_action(
        DecisionSerializer,
        "The notice: after the response or the deadline and within one year of "
        "`facts_known_on`. `decided_amount` (default: the hearing's `intended_amount`, "
        'never lower) becomes the approved amount; `"0.00"` revokes the grant (state '
        "`revoked`). The reduction is released from the commitment.",
    )
    def decision(self, request, pk=None):
        change = self._change(use_cases.decide_revocation, DecisionSerializer)
        body = RevocationSerializer(change.revocation).data
        body["change"] = GrantChangeSerializer(change).data
        return Response(body)

    @_office_action(DropSerializer, "The office ends the proceeding without a revocation.")
    def drop(self, request, pk=None):
        revocation = self._change(use_cases.drop_revocation, DropSerializer)
        return Response(RevocationSerializer(revocation).data)

    @extend_schema(tags=_TAGS, responses={(200, "application/pdf"): bytes, 404: NOT_FOUND})
    def hearing_letter(self, request, pk=None):  # routed in api/urls.py (".pdf", no slash)
        revocation = self._revocation()
        pdf = documents.hearing_pdf(
            revocation, decided_item=latest_decided_item(revocation.application)
        )
        return pdf_response(pdf, documents.hearing_filename(revocation))

    @extend_schema(tags=_TAGS, responses={(200, "application/pdf"): bytes, 404: NOT_FOUND})
    def notice(self, request, pk=None):  # routed in api/urls.py (".pdf", no slash)
        revocation = self._revocation()
        if revocation.status != RevocationStatus.DECIDED:
            raise NotFound()
        pdf = documents.notice_pdf(
            revocation, decided_item=latest_decided_item(revocation.application)
        )
        return pdf_response(pdf, documents.notice_filename(revocation))
