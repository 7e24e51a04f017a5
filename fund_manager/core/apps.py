from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fund_manager.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # The audit entry for a login lockout (django-axes' user_locked_out signal).
        from . import lockout  # noqa: F401
