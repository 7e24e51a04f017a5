from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from .roles import ROLE_PERMISSIONS, Role, is_staff_reader, user_roles

# The pages of issue 13 in the main menu: (url name, label, permission). A public page
# (permission None) is listed in the menu of visitors who are not logged in; staff reach it from
# the public pages, which keeps the staff menu short on a phone.
INSIGHT_PAGES = (
    ("reporting:statistics", gettext_lazy("Statistics"), "reporting.view_statistics"),
    ("reporting:status_report", gettext_lazy("Status report"), "reporting.view_statistics"),
    ("reporting:audit_trail", gettext_lazy("Audit trail"), "core.view_audit_trail"),
    ("reporting:decisions", gettext_lazy("Decisions"), "reporting.export_lists"),
    ("public:opendata", gettext_lazy("Open data"), None),
)


def _role_grants(user, permission) -> bool:
    """Whether the user's roles grant ``permission``, from the mapping the groups are synced
    from (core.roles): the menu runs no permission queries; the views check ``has_perm``."""
    if getattr(user, "is_superuser", False):
        return True
    return any(permission in ROLE_PERMISSIONS.get(role, ()) for role in user_roles(user))


def insight_links(user):
    """[{"url", "label", "name"}] of the issue 13 pages for ``user``'s menu."""
    authenticated = bool(user) and user.is_authenticated
    links = []
    for name, label, permission in INSIGHT_PAGES:
        if permission is None:
            shown = not authenticated
        else:
            shown = authenticated and _role_grants(user, permission)
        if shown:
            links.append({"url": reverse(name), "label": label, "name": name})
    return links


def navigation(request):
    """Role flags for the navigation; the views and querysets enforce the same rules."""
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else set()
    return {
        "nav": {
            "roles": roles,
            "is_provider": Role.PROVIDER in roles,
            "is_staff_reader": bool(user) and is_staff_reader(user),
            "is_office": Role.PROJECT_OFFICE in roles,
            "is_finance": Role.FINANCE in roles,
            "is_auditor": Role.AUDITOR in roles,
            "is_steering": bool(roles & {Role.STEERING_MEMBER, Role.CHAIR}),
            "insight": insight_links(user),
        }
    }


def installation(request):
    """The installation's name and operator as ``installation`` (not ``site``, which the auth
    views set)."""
    return {
        "installation": {
            "name": settings.FM_SITE_NAME or gettext("Discretionary fund"),
            "operator": settings.FM_OPERATOR_NAME,
        }
    }
