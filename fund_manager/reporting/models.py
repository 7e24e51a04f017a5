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


class JournalQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The statistics journal is append-only.")

    def delete(self):
        raise TypeError("The statistics journal is append-only; see journal.rebuild().")


class StatisticsEntry(models.Model):
    """One line of the statistics journal (``reporting.journal``): what one event of the
    history (an audit entry of an application, a transfer of the ledger) changed in the
    figures of the statistics, under the action field, kind of organisation, target groups and
    round the application counted under at that moment.

    Append-only and derived: every line is written in the transaction of its event, and
    ``journal.rebuild()`` writes the same lines again from the history (the audit trail and
    the ledger); the ledger check compares the two. The statistics as of a day are the sums
    of the lines before its end, grouped by these columns (one query)."""

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    # The event: an audit entry or a transfer (the other is empty).
    # No constraint in the database: a line never stands in the way of the ledger's own checks
    # (a transfer removed behind the ledger's back is the ledger check's to find).
    entry = models.ForeignKey(
        "core.AuditEntry",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    transfer = models.ForeignKey(
        "ledger.Transfer",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Where the application counted (its "home"): its last decision's snapshot, else its last
    # submission's. Target groups: their codes, comma-separated, sorted.
    action_field = models.CharField(_("action field"), max_length=50, blank=True)
    organisation_kind = models.CharField(_("kind of organisation"), max_length=30, blank=True)
    target_groups = models.CharField(_("target groups"), max_length=500, blank=True)
    round_id = models.IntegerField(_("funding round"), null=True, blank=True)
    round_label = models.CharField(_("funding round"), max_length=100, blank=True)
    # The changes (most lines change one or two).
    received = models.IntegerField(default=0)
    approved_count = models.IntegerField(default=0)
    approved_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    rejected = models.IntegerField(default=0)
    deferred = models.IntegerField(default=0)
    disbursed = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunded = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    committed = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    objects = JournalQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics journal line")
        verbose_name_plural = _("statistics journal")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["fiscal_year", "at"], name="reporting_journal_year_at"),
            models.Index(fields=["application", "id"], name="reporting_journal_app"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.application_id}"
