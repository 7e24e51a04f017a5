"""Admin: rounds, agenda items, entitlements, votes and recusals are for looking up only; they
change through the round pages and ``rounds.services`` (checked, audited, state-protected).

The steering group and its seats are the one thing set up here: no page or service manages
them yet, they carry no state, and the seats are frozen into entitlements when a session opens,
so a later change does not alter a past session.
"""

from django.contrib import admin

from .models import (
    AgendaItem,
    Entitlement,
    FundingRound,
    Recusal,
    SteeringGroup,
    SteeringMember,
    Vote,
)


class _ReadOnly:
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(_ReadOnly, admin.ModelAdmin):
    pass


class SteeringMemberInline(admin.TabularInline):
    model = SteeringMember
    extra = 0
    fields = ["user", "is_chair", "is_deputy", "votes", "since", "until"]
    autocomplete_fields = ["user"]


@admin.register(SteeringGroup)
class SteeringGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "fund"]
    list_select_related = ["fund"]
    inlines = [SteeringMemberInline]


class AgendaItemInline(_ReadOnly, admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "application", "proposed_amount", "deferral_requested", "state"]


@admin.register(FundingRound)
class FundingRoundAdmin(_ReadOnlyAdmin):
    list_display = ["__str__", "fiscal_year", "submission_deadline", "session_date", "state"]
    list_filter = ["fiscal_year", "state"]
    list_select_related = ["fiscal_year__fund"]
    inlines = [AgendaItemInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(_ReadOnlyAdmin):
    list_display = ["__str__", "round", "position", "application", "proposed_amount", "state"]
    list_filter = ["round", "state"]
    search_fields = ["application__reference", "application__title"]
    list_select_related = ["round__fiscal_year", "application"]


@admin.register(Entitlement)
class EntitlementAdmin(_ReadOnlyAdmin):
    list_display = ["round", "user", "is_chair"]
    list_filter = ["round"]
    list_select_related = ["round__fiscal_year", "user"]


@admin.register(Vote)
class VoteAdmin(_ReadOnlyAdmin):
    list_display = ["item", "member", "choice", "cast_at"]
    list_filter = ["item__round"]
    list_select_related = ["item__round__fiscal_year", "item__application", "member"]


@admin.register(Recusal)
class RecusalAdmin(_ReadOnlyAdmin):
    list_display = ["item", "member", "reason"]
    list_filter = ["item__round", "reason"]
    list_select_related = ["item__round__fiscal_year", "item__application", "member"]
