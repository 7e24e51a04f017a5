from django.urls import path

from .views import bookings, closing, reading

app_name = "ledger"

urlpatterns = [
    path("", reading.year_list, name="years"),
    path("<int:year_pk>/", reading.balances, name="balances"),
    path("<int:year_pk>/journal/", reading.journal, name="journal"),
    path(
        "<int:year_pk>/journal/export.csv",
        reading.journal_export,
        {"fmt": "csv"},
        name="export_csv",
    ),
    path(
        "<int:year_pk>/journal/export.xlsx",
        reading.journal_export,
        {"fmt": "xlsx"},
        name="export_xlsx",
    ),
    path("<int:year_pk>/budget/", bookings.set_budget, name="set_budget"),
    path("<int:year_pk>/allocate/", bookings.allocate, name="allocate"),
    path("<int:year_pk>/reallocate/", bookings.reallocate, name="reallocate"),
    path("<int:year_pk>/close/", closing.close_year, name="close"),
    path("transfers/<int:pk>/reverse/", bookings.reverse_transfer, name="reverse"),
]
