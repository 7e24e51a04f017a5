"""The council's status report (Sachstand): the page and its two files."""

from django.urls import path

from .views import report

urlpatterns = [
    path("status-report/", report.status_report, name="status_report"),
    path("status-report/pdf/", report.status_report_pdf, name="status_report_pdf"),
    path("status-report/odt/", report.status_report_odt, name="status_report_odt"),
]
