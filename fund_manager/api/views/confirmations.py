"""Payment confirmations and spending freezes over HTTP (issue 11, deliver 4 and 7).

- ``GET /payment-confirmations/`` (finance, office, audit office): the stored imports;
  ``GET /payment-confirmations/{id}/`` one with its per-row results.
- ``POST /payment-confirmations/`` (finance, multipart ``file`` and ``dry_run=true|false``):
  the dry run (200, changes nothing) or the import (201, the stored import's id in ``import``).
  A malformed file is a 400 ``{"file": [...]}``; a refused booking a 409. The import is
  idempotent by content: the same file again confirms nothing twice (no Idempotency-Key needed).
- ``GET|POST /fiscal-years/{id}/freezes/`` (read: whoever reads the ledger; freeze: finance),
  ``POST /freezes/{id}/lift/`` (finance).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, parsers, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from fund_manager.core.errors import NotPermitted
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import freezes
from fund_manager.ledger.models import SpendingFreeze
from fund_manager.payments import confirmations
from fund_manager.payments.models import ConfirmationImport

from ..serializers.confirmations import (
    ConfirmationImportDetailSerializer,
    ConfirmationImportSerializer,
    ConfirmationResultSerializer,
    ConfirmationUploadSerializer,
    FreezeCreateSerializer,
    FreezeLiftSerializer,
    FreezeSerializer,
    result_data,
)
from ._common import FORBIDDEN_ROLE, action_responses, validated

READ = ("payments.confirm_payments", "ledger.view_ledger")
_NOT_FOUND = OpenApiResponse(description="Does not exist.")
_CONFLICT = OpenApiResponse(description="Refused, nothing changed: {detail, code}.")


class _ReadOrAct(permissions.BasePermission):
    """Reading needs one of the view's ``read_permissions``; anything else its
    ``act_permission``. Refused as 403 {detail, code}."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            allowed = any(request.user.has_perm(p) for p in view.read_permissions)
        else:
            allowed = request.user.has_perm(view.act_permission)
        if not allowed:
            raise NotPermitted()
        return True


# --- confirmations ------------------------------------------------------------------------------
class PaymentConfirmationsView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, _ReadOrAct]
    read_permissions, act_permission = READ, confirmations.PERMISSION
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    serializer_class = ConfirmationImportSerializer
    queryset = ConfirmationImport.objects.select_related("imported_by").defer("content", "rows")

    @extend_schema(tags=["payments"], summary="The imported confirmation files, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["payments"],
        summary="Dry run or import of a confirmation file of the finance system",
        request={"multipart/form-data": ConfirmationUploadSerializer},
        responses={
            200: OpenApiResponse(ConfirmationResultSerializer, description="Dry run."),
            201: OpenApiResponse(ConfirmationResultSerializer, description="Imported."),
            400: OpenApiResponse(description="Malformed file: {file: [messages]}."),
            403: FORBIDDEN_ROLE,
            409: _CONFLICT,
        },
    )
    def post(self, request, *args, **kwargs):
        data = validated(ConfirmationUploadSerializer, request)
        upload = data["file"]
        service = (
            confirmations.preview_confirmations
            if data["dry_run"]
            else confirmations.import_confirmations
        )
        result = service(content=upload.read(), filename=upload.name, by=request.user)
        return Response(
            result_data(result),
            status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED,
        )


class PaymentConfirmationDetailView(generics.RetrieveAPIView):
    permission_classes = [permissions.IsAuthenticated, _ReadOrAct]
    read_permissions, act_permission = READ, confirmations.PERMISSION
    serializer_class = ConfirmationImportDetailSerializer
    queryset = ConfirmationImport.objects.select_related("imported_by").defer("content")

    @extend_schema(tags=["payments"], summary="One import with the result of every row")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- spending freezes ---------------------------------------------------------------------------
class FiscalYearFreezesView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, _ReadOrAct]
    read_permissions, act_permission = ("ledger.view_ledger",), freezes.PERMISSION
    serializer_class = FreezeSerializer

    def _year(self):
        return get_object_or_404(FiscalYear.objects.select_related("fund"), pk=self.kwargs["pk"])

    def get_queryset(self):
        return SpendingFreeze.objects.filter(fiscal_year=self._year()).select_related(
            "fiscal_year", "action_field", "frozen_by", "lifted_by"
        )

    @extend_schema(tags=["ledger"], summary="The spending freezes of a fiscal year")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["ledger"],
        summary="Freeze spending in the fiscal year or one action field (Haushaltssperre)",
        request=FreezeCreateSerializer,
        responses=action_responses(
            created=FreezeSerializer, not_found=_NOT_FOUND, conflict=_CONFLICT
        ),
    )
    def post(self, request, *args, **kwargs):
        year = self._year()
        data = validated(FreezeCreateSerializer, request, context={"fiscal_year": year})
        freeze = freezes.freeze_spending(
            fiscal_year=year,
            action_field=data.get("action_field"),
            reason=data["reason"],
            by=request.user,
        )
        return Response(FreezeSerializer(freeze).data, status=status.HTTP_201_CREATED)


class FreezeLiftView(APIView):
    permission_classes = [permissions.IsAuthenticated, _ReadOrAct]
    read_permissions, act_permission = ("ledger.view_ledger",), freezes.PERMISSION

    @extend_schema(
        tags=["ledger"],
        summary="Lift a spending freeze, with a reason",
        request=FreezeLiftSerializer,
        responses=action_responses(FreezeSerializer, not_found=_NOT_FOUND, conflict=_CONFLICT),
    )
    def post(self, request, pk):
        freeze = get_object_or_404(SpendingFreeze, pk=pk)
        data = validated(FreezeLiftSerializer, request)
        lifted = freezes.lift_freeze(freeze=freeze, reason=data["reason"], by=request.user)
        return Response(FreezeSerializer(lifted).data)
