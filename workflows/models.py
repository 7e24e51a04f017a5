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


class RoundProcess(Process):
    """The chair's process of one funding round, from the submission deadline to the signed
    minutes (viewflow). Flow and node names are stored in the database: a public API."""

    funding_round = models.OneToOneField(
        "rounds.FundingRound",
        verbose_name=_("funding round"),
        on_delete=models.PROTECT,
        related_name="process",
    )

    class Meta:
        verbose_name = _("round process")
        verbose_name_plural = _("round processes")
