"""The HTTP API (API.md), included at /api/ by the project's urls."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from .views.applications import ApplicationViewSet
from .views.auth import ObtainTokenView
from .views.ledger import FiscalYearLedgerViewSet, FiscalYearTransferList, TransferViewSet
from .views.reference import (
    ActionFieldViewSet,
    FiscalYearViewSet,
    FundViewSet,
    TargetGroupViewSet,
)
from .views.rounds import AgendaItemViewSet, RoundViewSet

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

urlpatterns = [
    # API.md spells it without a trailing slash.
    path(
        "v1/rounds/<int:pk>/minutes.pdf",
        RoundViewSet.as_view({"get": "minutes"}),
        name="round-minutes-pdf",
    ),
    path("v1/auth/token/", ObtainTokenView.as_view(), name="token"),
    path(
        "v1/fiscal-years/<int:pk>/transfers/",
        FiscalYearTransferList.as_view(),
        name="fiscal-year-transfers",
    ),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the drf-spectacular-sidecar package's static files: no CDN needed.
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
