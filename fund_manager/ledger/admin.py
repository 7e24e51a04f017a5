"""Admin: for looking bookings up, never for changing them. Accounts and transfers are written
by ``ledger.posting.post_transfer`` only; the admin offers no add, change, delete, bulk action
or import/export (the journal export lives on the ledger pages, with its permission check)."""

from django.contrib import admin

from fund_manager.core.admin import ReadOnlyAdmin

from .models import Account, Transfer


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "fiscal_year", "kind", "action_field", "application", "balance"]
    list_filter = ["fiscal_year", "kind", "action_field"]
    search_fields = ["application__reference", "action_field__name"]
    list_select_related = ["fiscal_year__fund", "action_field", "application"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
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
