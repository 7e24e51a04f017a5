"""``manage.py check``: a production installation names its operator (imprint, privacy notice)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from .legal import unset_settings


@register(Tags.compatibility, deploy=False)
def imprint_configured(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    missing = unset_settings()
    if not missing:
        return []
    return [
        Warning(
            "The imprint and the privacy notice show example values (the demo city): "
            + ", ".join(missing)
            + " not set.",
            hint="Set these environment variables (see fund_manager/settings.py, "
            "'Imprint and privacy notice').",
            id="fund_manager.public.W001",
        )
    ]
