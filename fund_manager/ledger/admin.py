"""Admin: for looking bookings up, never for changing them. Accounts and transfers are written
by ``ledger.posting.post_transfer`` only; the admin offers no add, change, delete, bulk action
or import/export (the journal export lives on the ledger pages, with its permission check)."""

from django.contrib import admin

from .models import Account, Transfer


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


@admin.register(Account)
class AccountAdmin(_ReadOnlyAdmin):
    list_display = ["__str__", "fiscal_year", "kind", "action_field", "application", "balance"]
    list_filter = ["fiscal_year", "kind", "action_field"]
    search_fields = ["application__reference", "action_field__name"]
    list_select_related = ["fiscal_year__fund", "action_field", "application"]


@admin.register(Transfer)
class TransferAdmin(_ReadOnlyAdmin):
    list_display = [
        "sequence",
        "fiscal_year",
        "created_at",
        "kind",
        "source",
        "target",
        "amount",
        "created_by",
    ]
    list_filter = ["fiscal_year", "kind"]
    search_fields = ["reason", "business_reference", "application__reference"]
    list_select_related = [
        "fiscal_year__fund",
        "source__fiscal_year",
        "source__action_field",
        "source__application",
        "target__fiscal_year",
        "target__action_field",
        "target__application",
        "created_by",
    ]
    date_hierarchy = "created_at"
