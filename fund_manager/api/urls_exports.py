"""API paths of issue 11: exports (docs/api.md). Included by api/urls.py before the router."""

from django.urls import path

from .views.exports import ExportBatchDetailView, ExportBatchFileView, ExportBatchListView

urlpatterns = [
    path("v1/export-batches/", ExportBatchListView.as_view(), name="export-batch-list"),
    path(
        "v1/export-batches/<int:pk>/", ExportBatchDetailView.as_view(), name="export-batch-detail"
    ),
    path(
        "v1/export-batches/<int:pk>/file/", ExportBatchFileView.as_view(), name="export-batch-file"
    ),
]
