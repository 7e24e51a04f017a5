from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "fund_manager.settlement"
    verbose_name = _("Usage reports and refunds")
