"""Admin: for looking things up. States and amounts are read-only; changes go through the
portal and its services (so every change is checked, audited and booked)."""

from django.contrib import admin

from .models import (
    BaseRate,
    DueDateExtension,
    ParticipantCount,
    PaymentUse,
    Receipt,
    RefundClaim,
    RefundReceipt,
    ReportAttachment,
    ReportCostLine,
    UsageReport,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CostLineInline(_ReadOnlyInline):
    model = ReportCostLine
    fields = ["position", "category", "description", "planned", "actual"]


class ReceiptInline(_ReadOnlyInline):
    model = Receipt
    fields = ["cost_line", "position", "date", "payee", "reason", "amount"]


class ParticipantInline(_ReadOnlyInline):
    model = ParticipantCount
    fields = ["target_group", "count"]


class PaymentUseInline(_ReadOnlyInline):
    model = PaymentUse
    fields = ["payment", "spent_on"]


class AttachmentInline(_ReadOnlyInline):
    model = ReportAttachment
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


class ExtensionInline(_ReadOnlyInline):
    model = DueDateExtension
    fields = ["state", "previous_due_on", "requested_due_on", "requested_at", "decided_at"]


class _ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Saving an unchanged form would still write the row (and its timestamps).
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UsageReport)
class UsageReportAdmin(_ReadOnlyAdmin):
    list_display = ["application", "state", "due_on", "eligible_costs", "settled_grant"]
    list_filter = ["state"]
    search_fields = ["application__reference", "application__title"]
    list_select_related = ["application"]
    inlines = [
        CostLineInline,
        ReceiptInline,
        ParticipantInline,
        PaymentUseInline,
        AttachmentInline,
        ExtensionInline,
    ]


@admin.register(DueDateExtension)
class DueDateExtensionAdmin(_ReadOnlyAdmin):
    list_display = ["report", "state", "previous_due_on", "requested_due_on", "requested_at"]
    list_filter = ["state"]
    list_select_related = ["report__application"]


class RefundReceiptInline(_ReadOnlyInline):
    model = RefundReceipt
    fields = ["received_on", "amount", "interest_part", "principal_part", "recorded_by"]


@admin.register(RefundClaim)
class RefundClaimAdmin(_ReadOnlyAdmin):
    list_display = ["reference", "application", "origin", "state", "principal", "due_on"]
    list_filter = ["state", "origin"]
    search_fields = ["reference", "application__reference"]
    list_select_related = ["application"]
    inlines = [RefundReceiptInline]


@admin.register(BaseRate)
class BaseRateAdmin(_ReadOnlyAdmin):
    """Kept as data with its source (a data migration adds each new rate)."""

    list_display = ["valid_from", "rate", "source", "recorded_on"]
