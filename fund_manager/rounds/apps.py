from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "fund_manager.rounds"
    label = "rounds"
    verbose_name = _("Funding rounds")
