"""The HTTP API (docs/api.md), included at /api/ by the project's urls."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import urls_confirmations, urls_exports, urls_payments, urls_refunds, urls_reports
from .exceptions import not_found_view
from .views.applications import ApplicationViewSet
from .views.auth import ObtainTokenView
from .views.grants import ApplicationRevocationsView, RevocationViewSet, WaiverView
from .views.ledger import FiscalYearLedgerViewSet, FiscalYearTransferList, TransferViewSet
from .views.reference import (
    ActionFieldViewSet,
    FiscalYearViewSet,
    FundViewSet,
    TargetGroupViewSet,
)
from .views.rounds import AgendaItemViewSet, RoundViewSet
from .views.statistics import StatisticsView

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("funds", FundViewSet, basename="fund")
router.register("action-fields", ActionFieldViewSet, basename="action-field")
router.register("target-groups", TargetGroupViewSet, basename="target-group")
router.register("fiscal-years", FiscalYearViewSet, basename="fiscal-year")
# Ledger actions of a fiscal year: /fiscal-years/{id}/balances|allocations|reallocations|budget/
router.register("fiscal-years", FiscalYearLedgerViewSet, basename="fiscal-year-ledger")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("applications", ApplicationViewSet, basename="application")
router.register("rounds", RoundViewSet, basename="round")
router.register("agenda-items", AgendaItemViewSet, basename="agenda-item")
router.register("revocations", RevocationViewSet, basename="revocation")

urlpatterns = [
    # The contract (docs/api.md) spells it without a trailing slash.
    path(
        "v1/rounds/<int:pk>/minutes.pdf",
        RoundViewSet.as_view({"get": "minutes"}),
        name="round-minutes-pdf",
    ),
    path("v1/auth/token/", ObtainTokenView.as_view(), name="token"),
    # Changing an approval (waiver, revocation): api/views/grants.py.
    path("v1/applications/<int:pk>/waiver/", WaiverView.as_view(), name="application-waiver"),
    path(
        "v1/applications/<int:pk>/revocations/",
        ApplicationRevocationsView.as_view(),
        name="application-revocations",
    ),
    path(
        "v1/revocations/<int:pk>/hearing-letter.pdf",
        RevocationViewSet.as_view({"get": "hearing_letter"}),
        name="revocation-hearing-letter",
    ),
    path(
        "v1/revocations/<int:pk>/notice.pdf",
        RevocationViewSet.as_view({"get": "notice"}),
        name="revocation-notice",
    ),
    path(
        "v1/fiscal-years/<int:pk>/transfers/",
        FiscalYearTransferList.as_view(),
        name="fiscal-year-transfers",
    ),
    # Issue 13: statistics as of a date (api/views/statistics.py).
    path("v1/statistics/", StatisticsView.as_view(), name="statistics"),
    # Issue 11: payments, exports, confirmations, usage reports, refunds (one module each).
    *urls_payments.urlpatterns,
    *urls_exports.urlpatterns,
    *urls_confirmations.urlpatterns,
    *urls_reports.urlpatterns,
    *urls_refunds.urlpatterns,
    path("v1/", include(router.urls)),
    # Whatever else ends in a slash under v1/ is the API's 404 {detail, code}; without the slash
    # Django's APPEND_SLASH redirect still applies (a path that exists with it).
    re_path(r"^v1/(?:.*/)?$", not_found_view, name="not-found"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the drf-spectacular-sidecar package's static files: no CDN needed. The
    # split view serves its init script from ?script (same origin) and our template has no
    # inline style, so the strict Content-Security-Policy needs no allowance here.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
]
