from django.contrib import admin

from .models import ActionField, FiscalYear, Fund, TargetGroup


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "owner_department"]
    search_fields = ["name", "code"]


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["fund", "year", "budget", "state"]
    list_filter = ["fund", "state"]


@admin.register(ActionField, TargetGroup)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "fund", "position", "active"]
    list_filter = ["fund", "active"]
    search_fields = ["name", "code"]
