"""The list of the steering group's decisions and the staff lists as files (helper E)."""

from django.urls import path, re_path

from .views import exports

urlpatterns = [
    path("decisions/", exports.decisions, name="decisions"),
    # ?<the list page's filters>; the file type is the URL's extension.
    re_path(
        r"^exports/applications\.(?P<fmt>csv|xlsx)$",
        exports.export_applications,
        name="export_applications",
    ),
    re_path(
        r"^exports/decisions\.(?P<fmt>csv|xlsx)$",
        exports.export_decisions,
        name="export_decisions",
    ),
    re_path(
        r"^exports/payments\.(?P<fmt>csv|xlsx)$",
        exports.export_payments,
        name="export_payments",
    ),
]
