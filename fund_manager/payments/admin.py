"""Admin: for looking things up. Every field is read-only; payment requests, export batches and
confirmations change only through the portal and its services (checked and audited)."""

from django.contrib import admin

from .models import ConfirmationImport, ExportBatch, ExportFile, PaymentRequest


class _ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentRequest)
class PaymentRequestAdmin(_ReadOnlyAdmin):
    list_display = ["payment_key", "application", "amount", "state", "document_number"]
    list_filter = ["state", "fiscal_year", "is_internal"]
    search_fields = ["payment_key", "document_number", "application__reference"]
    list_select_related = ["application"]


@admin.register(ExportBatch)
class ExportBatchAdmin(_ReadOnlyAdmin):
    list_display = ["batch_id", "fiscal_year", "row_count", "control_total", "created_at"]
    list_filter = ["fiscal_year"]


@admin.register(ExportFile)
class ExportFileAdmin(_ReadOnlyAdmin):
    list_display = ["filename", "batch", "format", "size", "sha256"]
    exclude = ["content"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "content"]


@admin.register(ConfirmationImport)
class ConfirmationImportAdmin(_ReadOnlyAdmin):
    list_display = ["filename", "confirmed_count", "confirmed_total", "imported_at"]
    exclude = ["content"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "content"]
