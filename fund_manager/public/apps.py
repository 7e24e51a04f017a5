from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """Pages without login: the fund's rounds and deadlines, easy language, imprint, privacy."""

    name = "fund_manager.public"
    label = "public"
    verbose_name = _("Public pages")

    def ready(self):
        # manage.py check: the imprint and the privacy notice are configured in production.
        from . import checks  # noqa: F401
