from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process


class ApplicationProcess(Process):
    """The human process of one application (viewflow), linked by a real foreign key.

    Flow and node names are stored in the database: treat them as a public API.
    """

    application = models.OneToOneField(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="process",
    )

    class Meta:
        verbose_name = _("application process")
        verbose_name_plural = _("application processes")
