"""API paths of issue 11: confirmations (docs/api.md). Included by api/urls.py before the router.

Also the spending freezes (deliver 7), which belong to the same helper."""

from django.urls import path

from .views.confirmations import (
    FiscalYearFreezesView,
    FreezeLiftView,
    PaymentConfirmationDetailView,
    PaymentConfirmationsView,
)

urlpatterns = [
    path(
        "v1/payment-confirmations/",
        PaymentConfirmationsView.as_view(),
        name="payment-confirmations",
    ),
    path(
        "v1/payment-confirmations/<int:pk>/",
        PaymentConfirmationDetailView.as_view(),
        name="payment-confirmation-detail",
    ),
    path(
        "v1/fiscal-years/<int:pk>/freezes/",
        FiscalYearFreezesView.as_view(),
        name="fiscal-year-freezes",
    ),
    path("v1/freezes/<int:pk>/lift/", FreezeLiftView.as_view(), name="freeze-lift"),
]
