from django.urls import path

from .views import bookings, closing, freezes, reading

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
    path("<int:year_pk>/freezes/", freezes.freeze_list, name="freezes"),
    path("<int:year_pk>/freezes/new/", freezes.freeze_new, name="freeze"),
    path("freezes/<int:pk>/lift/", freezes.freeze_lift, name="lift_freeze"),
]
