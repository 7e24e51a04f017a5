"""The documents' addresses; included at the site root (``path("", include(...))``), so that
the minutes sit next to the round pages and the notices next to the applications."""

from django.urls import path

from . import document_views

app_name = "rounds_documents"

urlpatterns = [
    path("rounds/<int:pk>/minutes.pdf", document_views.minutes_pdf, name="minutes"),
    path("notices/<int:application_pk>.pdf", document_views.notice_pdf, name="notice"),
]
