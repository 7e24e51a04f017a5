"""API paths of issue 11: refunds (docs/api.md). Included by api/urls.py before the router."""

from django.urls import path

from .views.refunds import RefundClaimViewSet

urlpatterns = [
    path(
        "v1/refund-claims/",
        RefundClaimViewSet.as_view({"get": "list"}),
        name="refund-claim-list",
    ),
    path(
        "v1/refund-claims/<int:pk>/",
        RefundClaimViewSet.as_view({"get": "retrieve"}),
        name="refund-claim-detail",
    ),
    path(
        "v1/refund-claims/<int:pk>/received/",
        RefundClaimViewSet.as_view({"post": "received"}),
        name="refund-claim-received",
    ),
    path(
        "v1/refund-claims/<int:pk>/waive-interest/",
        RefundClaimViewSet.as_view({"post": "waive_interest"}),
        name="refund-claim-waive-interest",
    ),
]
