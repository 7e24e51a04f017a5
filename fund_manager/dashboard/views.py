"""Each role lands on its own start page (``home`` redirects)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from fund_manager.core.models import AuditEntry
from fund_manager.core.roles import Role, user_roles

from . import selectors

# The first role in this order decides where a user with several roles lands.
START_PAGES = [
    (Role.PROVIDER, "applications:mine"),
    (Role.PROJECT_OFFICE, "dashboard:office"),
    (Role.CHAIR, "dashboard:steering"),
    (Role.STEERING_MEMBER, "dashboard:steering"),
    (Role.FINANCE, "dashboard:finance"),
    (Role.AUDITOR, "dashboard:audit"),
]


@login_required
def home(request):
    roles = user_roles(request.user)
    for role, target in START_PAGES:
        if role in roles:
            return redirect(target)
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "dashboard/no_role.html")


def _require(request, *roles):
    if not user_roles(request.user) & set(roles):
        raise PermissionDenied


@login_required
def office(request):
    _require(request, Role.PROJECT_OFFICE)
    return render(
        request,
        "dashboard/office.html",
        {"counts": selectors.office_counts(), "years": selectors.fiscal_year_overview()},
    )


@login_required
def steering(request):
    _require(request, Role.STEERING_MEMBER, Role.CHAIR)
    return render(request, "dashboard/steering.html", {"waiting": selectors.awaiting_decision()})


@login_required
def finance(request):
    _require(request, Role.FINANCE)
    return render(request, "dashboard/finance.html", {"years": selectors.fiscal_year_overview()})


@login_required
def audit(request):
    if not request.user.has_perm("core.view_audit_trail"):
        raise PermissionDenied
    # Each sentence names its record (core/audit_text.py): the records per page, not per entry.
    entries = AuditEntry.objects.select_related("actor", "content_type").prefetch_related("subject")
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page_obj = Paginator(entries, settings.FM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dashboard/audit.html", {"page_obj": page_obj, "action": action})
