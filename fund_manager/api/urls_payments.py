"""API paths of issue 11: payments (docs/api.md). Included by api/urls.py before the router."""

from django.urls import path

from .views.payments import (
    ApplicationPaymentRequestsView,
    PaymentRequestViewSet,
    RemedyWaiverView,
)

_list = PaymentRequestViewSet.as_view({"get": "list"})
_detail = PaymentRequestViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path(
        "v1/applications/<int:pk>/payment-requests/",
        ApplicationPaymentRequestsView.as_view(),
        name="application-payment-requests",
    ),
    path(
        "v1/applications/<int:pk>/remedy-waiver/",
        RemedyWaiverView.as_view(),
        name="application-remedy-waiver",
    ),
    path("v1/payment-requests/", _list, name="payment-request-list"),
    path("v1/payment-requests/<int:pk>/", _detail, name="payment-request-detail"),
    *[
        path(
            f"v1/payment-requests/<int:pk>/{name}/",
            PaymentRequestViewSet.as_view({"post": name}),
            name=f"payment-request-{name}",
        )
        for name in ("cancel", "certify", "order", "reject")
    ],
]
