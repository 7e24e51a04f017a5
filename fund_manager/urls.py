from django.contrib import admin
from django.urls import include, path

from fund_manager.core.views import accessibility

urlpatterns = [
    path("", include("fund_manager.dashboard.urls")),
    path("accessibility/", accessibility, name="accessibility"),
    path("foerderung/", include("fund_manager.public.urls")),
    path("applications/", include("fund_manager.applications.urls")),
    path("ledger/", include("fund_manager.ledger.urls")),
    path("organisations/", include("fund_manager.organisations.urls")),
    path("rounds/", include("fund_manager.rounds.urls")),
    path("payments/", include("fund_manager.payments.urls")),
    path("settlement/", include("fund_manager.settlement.urls")),
    path("reports/", include("fund_manager.reporting.urls")),
    path("tasks/", include("workflows.urls")),
    path("", include("fund_manager.rounds.document_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("fund_manager.api.urls")),
    path("admin/", admin.site.urls),
]
