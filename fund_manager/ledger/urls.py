from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.year_list, name="years"),
    path("<int:year_pk>/", views.balances, name="balances"),
    path("<int:year_pk>/journal/", views.journal, name="journal"),
    path(
        "<int:year_pk>/journal/export.csv",
        views.journal_export,
        {"fmt": "csv"},
        name="export_csv",
    ),
    path(
        "<int:year_pk>/journal/export.xlsx",
        views.journal_export,
        {"fmt": "xlsx"},
        name="export_xlsx",
    ),
    path("<int:year_pk>/budget/", views.set_budget, name="set_budget"),
    path("<int:year_pk>/allocate/", views.allocate, name="allocate"),
    path("<int:year_pk>/reallocate/", views.reallocate, name="reallocate"),
    path("<int:year_pk>/close/", views.close_year, name="close"),
    path("transfers/<int:pk>/reverse/", views.reverse_transfer, name="reverse"),
]
