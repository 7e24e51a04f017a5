"""Statistics, the council's status report, the audit trail and the staff exports (issue 13),
under /reports/; the open data are public (fund_manager.public)."""

from . import urls_audit, urls_exports, urls_report, urls_statistics

app_name = "reporting"

urlpatterns = [
    *urls_statistics.urlpatterns,
    *urls_report.urlpatterns,
    *urls_audit.urlpatterns,
    *urls_exports.urlpatterns,
]
