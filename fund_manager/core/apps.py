from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fund_manager.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # The audit entry for a login lockout (django-axes' user_locked_out signal).
        from django_fsm.signals import post_transition

        from . import lockout  # noqa: F401
        from .audit import remember_transition

        # Every state machine's transition is written into the next audit entry of its record.
        post_transition.connect(remember_transition, dispatch_uid="core.audit.transition")
