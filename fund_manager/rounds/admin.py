"""Admin: rounds, agenda items, entitlements, votes, recusals, steering groups and their seats
are for looking up only; they change through the round and steering-group pages and
``rounds.services`` (checked, audited, state-protected; a seat only through
``add_seat``/``end_seat``, which keep one chair and one deputy a day and no overlaps).
"""

from django.contrib import admin

from fund_manager.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import (
    AgendaItem,
    Entitlement,
    FundingRound,
    Recusal,
    SteeringGroup,
    SteeringMember,
    Vote,
)


class SteeringMemberInline(ReadOnlyTabularInline):
    model = SteeringMember
    fields = ["user", "is_chair", "is_deputy", "votes", "since", "until"]


@admin.register(SteeringGroup)
class SteeringGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "fund"]
    list_select_related = ["fund"]
    inlines = [SteeringMemberInline]


class AgendaItemInline(ReadOnlyTabularInline):
    model = AgendaItem
    fields = ["position", "application", "proposed_amount", "deferral_requested", "state"]


@admin.register(FundingRound)
class FundingRoundAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "fiscal_year", "submission_deadline", "session_date", "state"]
    list_filter = ["fiscal_year", "state"]
    list_select_related = ["fiscal_year__fund"]
    inlines = [AgendaItemInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "round", "position", "application", "proposed_amount", "state"]
    list_filter = ["round", "state"]
    search_fields = ["application__reference", "application__title"]
    list_select_related = ["round__fiscal_year", "application"]


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    list_display = ["round", "user", "is_chair"]
    list_filter = ["round"]
    list_select_related = ["round__fiscal_year", "user"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["item", "member", "choice", "cast_at"]
    list_filter = ["item__round"]
    list_select_related = ["item__round__fiscal_year", "item__application", "member"]


@admin.register(Recusal)
class RecusalAdmin(ReadOnlyAdmin):
    list_display = ["item", "member", "reason"]
    list_filter = ["item__round", "reason"]
    list_select_related = ["item__round__fiscal_year", "item__application", "member"]
