from django.conf import settings
from django.utils.translation import gettext

from .roles import Role, is_staff_reader, user_roles


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
