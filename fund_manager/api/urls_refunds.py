"""API paths of issue 11: refunds (docs/api.md). Included by api/urls.py before the router."""

from django.urls import path

from .views.refunds import RefundClaimViewSet

_list = RefundClaimViewSet.as_view({"get": "list"})
_detail = RefundClaimViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("v1/refund-claims/", _list, name="refund-claim-list"),
    path("v1/refund-claims/<int:pk>/", _detail, name="refund-claim-detail"),
    *[
        path(
            f"v1/refund-claims/<int:pk>/{segment}/",
            RefundClaimViewSet.as_view({"post": segment.replace("-", "_")}),
            name=f"refund-claim-{segment}",
        )
        for segment in ("received", "waive-interest")
    ],
]
