"""Admin: organisations, their members and bank details are looked up here, never changed.
The project office changes them on the organisation pages through ``organisations.services``
(audited; a new bank account only after a second person confirmed it). User accounts are
still created in the admin's user administration."""

from django.contrib import admin

from fund_manager.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import BankDetailsChange, Membership, Organisation


class MembershipInline(ReadOnlyTabularInline):
    model = Membership
    fields = ["user", "since"]


class BankDetailsChangeInline(ReadOnlyTabularInline):
    model = BankDetailsChange
    fields = ["state", "iban", "account_holder", "entered_by", "decided_by", "decided_at"]


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "city", "creditor_number"]
    list_filter = ["kind", "natural_person"]
    search_fields = ["name", "creditor_number"]
    inlines = [MembershipInline, BankDetailsChangeInline]


@admin.register(BankDetailsChange)
class BankDetailsChangeAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "state", "iban", "entered_by", "entered_at", "decided_by"]
    list_filter = ["state"]
    search_fields = ["organisation__name", "iban"]
    list_select_related = ["organisation", "entered_by", "decided_by"]
