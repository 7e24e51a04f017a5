"""Reads for the organisation pages (project office, finance, audit office)."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q

from fund_manager.core.models import AuditEntry

from .models import BankDetailsChange, Membership, Organisation


def organisation_list(search=""):
    """All organisations with their member count and whether a bank change is pending."""
    queryset = Organisation.objects.annotate(
        member_count=Count("memberships", distinct=True),
        has_pending_change=Exists(
            BankDetailsChange.objects.filter(
                organisation=OuterRef("pk"), state=BankDetailsChange.State.PENDING
            )
        ),
    ).order_by("name", "pk")
    search = (search or "").strip()
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(city__icontains=search)
            | Q(creditor_number__icontains=search)
            | Q(memberships__user__username__icontains=search)
        ).distinct()
    return queryset


def members(organisation):
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def pending_change(organisation):
    return (
        BankDetailsChange.objects.filter(
            organisation=organisation, state=BankDetailsChange.State.PENDING
        )
        .select_related("entered_by")
        .first()
    )


def decided_changes(organisation, limit=10):
    return (
        BankDetailsChange.objects.filter(organisation=organisation)
        .exclude(state=BankDetailsChange.State.PENDING)
        .select_related("entered_by", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def history(organisation, limit=50):
    return (
        AuditEntry.objects.for_object(organisation)
        .select_related("actor", "content_type")
        .prefetch_related("subject")
        .order_by("-at", "-pk")[:limit]
    )


def find_user(username):
    """The user account with exactly this login name (case-insensitive), or None."""
    username = (username or "").strip()
    if not username:
        return None
    return get_user_model().objects.filter(username__iexact=username).first()
