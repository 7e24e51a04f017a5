"""Admin of funds, fiscal years and reference data. A fiscal year's state and budget are
written only by the ledger's services (close_fiscal_year books lapse and carry-over, set_budget
books the budget, both audited): here they are read-only, and a year is never deleted."""

from django.contrib import admin
from django.db import models

from .models import ActionField, FiscalYear, Fund, TargetGroup


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    # Every field of the fund is editable here, the open data settings (issue 13) too.
    list_display = ["name", "code", "owner_department", "open_data_published", "open_data_licence"]
    list_filter = ["open_data_published", "open_data_licence"]
    search_fields = ["name", "code"]
    # The open data addresses (publisher, geocoding) are web addresses: https unless typed.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    """A new year is added here (open, budget zero); after that it is only looked up."""

    list_display = ["fund", "year", "budget", "state"]
    list_filter = ["fund", "state"]
    actions = None

    def get_fields(self, request, obj=None):
        return ["fund", "year", "budget", "state"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["budget", "state"]
        return ["fund", "year", "budget", "state"]

    def has_change_permission(self, request, obj=None):
        # Existing years: nothing here may change (the ledger pages close a year).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActionField, TargetGroup)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "fund", "position", "active"]
    list_filter = ["fund", "active"]
    search_fields = ["name", "code"]
