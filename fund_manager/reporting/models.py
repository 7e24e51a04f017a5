"""The reporting app keeps one record of its own: each run of the ledger check."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationRun(models.Model):
    """One run of ``verify_ledger`` (the command, or the auditor's button): when, by whom,
    whether everything held, and the problems it found, for the auditor's start page."""

    class Trigger(models.TextChoices):
        COMMAND = "command", _("Command (verify_ledger)")
        PAGE = "page", _("Button on the start page")

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trigger = models.CharField(_("run from"), max_length=10, choices=Trigger)
    ok = models.BooleanField(_("all checks passed"))
    problems = models.JSONField(_("problems"), default=list, blank=True)
    # {"fiscal_years": n, "transfers": n, "applications": n, "payments": n}
    checked = models.JSONField(_("checked"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ledger check")
        verbose_name_plural = _("ledger checks")
        ordering = ["-started_at", "-id"]
        permissions = [
            ("view_statistics", _("Can read the statistics and the status report")),
            ("write_status_report", _("Can choose the examples of the status report")),
            ("export_lists", _("Can export the lists of applications, decisions and payments")),
            ("run_verification", _("Can run the ledger check")),
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {'OK' if self.ok else 'FAILED'}"
