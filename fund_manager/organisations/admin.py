from django.contrib import admin

from .models import Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "creditor_number"]
    list_filter = ["kind"]
    search_fields = ["name", "creditor_number"]
    inlines = [MembershipInline]
