"""API paths of issue 11: usage reports (docs/api.md). Included by api/urls.py before the router."""

from django.urls import path

from .views.reports import (
    ExtensionDecisionView,
    ReportAttachmentsView,
    ReportExtensionsView,
    ReviewReportView,
    SubmitReportView,
    UsageReportView,
)

urlpatterns = [
    path(
        "v1/applications/<int:pk>/usage-report/",
        UsageReportView.as_view(),
        name="application-usage-report",
    ),
    path(
        "v1/applications/<int:pk>/usage-report/submit/",
        SubmitReportView.as_view(),
        name="application-usage-report-submit",
    ),
    path(
        "v1/applications/<int:pk>/usage-report/review/",
        ReviewReportView.as_view(),
        name="application-usage-report-review",
    ),
    path(
        "v1/applications/<int:pk>/usage-report/attachments/",
        ReportAttachmentsView.as_view(),
        name="application-usage-report-attachments",
    ),
    path(
        "v1/applications/<int:pk>/usage-report/extensions/",
        ReportExtensionsView.as_view(),
        name="application-usage-report-extensions",
    ),
    path(
        "v1/report-extensions/<int:pk>/decision/",
        ExtensionDecisionView.as_view(),
        name="report-extension-decision",
    ),
]
