from django.urls import path

from .views import audit

urlpatterns = [
    path("audit-trail/", audit.trail, name="audit_trail"),
    path("audit-trail/export.csv", audit.trail_export, {"fmt": "csv"}, name="audit_trail_csv"),
    path("audit-trail/export.xlsx", audit.trail_export, {"fmt": "xlsx"}, name="audit_trail_xlsx"),
    path(
        "audit-trail/applications/<int:pk>/",
        audit.application_timeline,
        name="application_timeline",
    ),
]
