"""Reads of applications, with the visibility rule built into the queryset."""

from django.db.models import Q

from fund_manager.core.audit import AuditEntry
from fund_manager.core.roles import Role, has_role, is_staff_reader
from policies.access import member_organisation_ids

from .models import Application, State


def applications_visible_to(user):
    """What ``user`` may see: its organisations' applications (providers) and every submitted
    application (staff roles). Mirrors policies.access.can_view_application."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    condition = Q(pk__in=[])
    if has_role(user, Role.PROVIDER):
        condition |= Q(organisation_id__in=member_organisation_ids(user))
    if is_staff_reader(user):
        condition |= Q(submitted_at__isnull=False)
    return Application.objects.filter(condition)


def application_list(user):
    """For list pages: everything a row shows in a constant number of queries."""
    return applications_visible_to(user).select_related(
        "organisation", "action_field", "fiscal_year", "fund"
    )


def application_detail(user, pk):
    """Raises Application.DoesNotExist when missing *or* not visible (a 404 either way)."""
    return (
        applications_visible_to(user)
        .select_related("organisation", "action_field", "fiscal_year", "fund", "created_by")
        .prefetch_related("target_groups", "cost_items", "attachments", "agenda_items")
        .get(pk=pk)
    )


def application_history(application):
    # Each entry reads as a sentence naming its record (core/audit_text.py): one query for those.
    return (
        AuditEntry.objects.for_object(application)
        .select_related("actor", "content_type")
        .prefetch_related("subject")
        .order_by("at", "id")
    )


def last_note(application, action):
    """The note of the latest audit entry with ``action`` (e.g. what the office asked for)."""
    entry = (
        AuditEntry.objects.for_object(application)
        .filter(action=action)
        .order_by("-at", "-id")
        .first()
    )
    return (entry.data or {}).get("note", "") if entry else ""


def waiting_for_applicant(user):
    """The provider's to-do list: its organisations' applications sent back for changes."""
    return (
        application_list(user)
        .filter(state=State.CHANGES_REQUESTED, organisation_id__in=member_organisation_ids(user))
        .order_by("updated_at")
    )
