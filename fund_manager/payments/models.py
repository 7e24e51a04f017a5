"""Money out (issue 11): payment requests (Mittelabruf) with their four-eyes path, the export
batches to the city's finance system, and the imported payment confirmations.

States change only through ``payments.services`` (django-fsm-2, protected); money moves only
through the ledger's posting service (``committed → disbursed`` when a payment is confirmed).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fund_manager.core.errors import InvalidTransition
from fund_manager.core.money import MoneyField, format_amount
from fund_manager.core.text import MEDIUM_TEXT

from . import profiles


class PaymentState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("payment", "Requested")
    CERTIFIED = "certified", pgettext_lazy("payment", "Certified as correct")
    ORDERED = "ordered", pgettext_lazy("payment", "Ordered")
    EXPORTED = "exported", pgettext_lazy("payment", "Exported")
    PAID = "paid", pgettext_lazy("payment", "Paid")
    REJECTED = "rejected", pgettext_lazy("payment", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("payment", "Cancelled")


# A request in one of these states still counts against the approved amount.
OPEN_PAYMENT_STATES = (
    PaymentState.REQUESTED,
    PaymentState.CERTIFIED,
    PaymentState.ORDERED,
    PaymentState.EXPORTED,
)
COUNTING_PAYMENT_STATES = (*OPEN_PAYMENT_STATES, PaymentState.PAID)


class PaymentRequest(ConcurrentTransitionMixin, models.Model):
    """Mittelabruf: one tranche of an approved grant, from the request to the confirmed payout.

    requested → certified (project office: sachlich richtig) → ordered (finance: Anordnung,
    never the certifier, never a member of the recipient) → exported (in one ExportBatch,
    exactly once) → paid (from the finance system's confirmation); or rejected / cancelled.
    """

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    # The fiscal year whose ledger books the payment (the application's).
    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    number = models.PositiveSmallIntegerField(_("tranche"), editable=False)
    # "<application reference>-<tranche>": stable, unique, readable in the finance system.
    payment_key = models.CharField(_("payment key"), max_length=40, unique=True, editable=False)
    amount = MoneyField(_("amount"))
    needed_by = models.DateField(_("needed by"))
    declaration = models.BooleanField(
        _(
            "I confirm that the money is needed within two months for the purpose of the "
            "grant and will be used as the notice requires."
        ),
        default=False,
    )
    state = FSMField(
        _("state"),
        default=PaymentState.REQUESTED,
        choices=PaymentState.choices,
        protected=True,
        db_index=True,
    )
    # Internal budget transfer (haushaltsinterne Verrechnung) for a city department: no bank
    # details, no SEPA line. Fixed when the request is made.
    is_internal = models.BooleanField(_("internal budget transfer"), default=False, editable=False)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    # The requester's Idempotency-Key (form or API): a repeated request with the same key
    # answers the first one instead of making a second (payments.services.request_payment).
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, null=True, blank=True, editable=False
    )
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("certified by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    certified_at = models.DateTimeField(_("certified at"), null=True, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    # Belegnummer, given with the payment order: "<year>-<6 digits>", per fiscal year.
    document_number = models.CharField(
        _("document number"), max_length=20, unique=True, null=True, blank=True, editable=False
    )
    batch = models.ForeignKey(
        "payments.ExportBatch",
        verbose_name=_("export batch"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    released_by = models.CharField(_("released by"), max_length=200, blank=True)
    confirmation = models.ForeignKey(
        "payments.ConfirmationImport",
        verbose_name=_("confirmation"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    # Rejected or cancelled: why, by whom, when.
    closing_reason = models.TextField(_("reason"), max_length=MEDIUM_TEXT, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejected or cancelled by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    closed_at = models.DateTimeField(_("rejected or cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        ordering = ["-requested_at", "-id"]
        permissions = [
            ("request_payment", _("Can request payments of the own organisation's grants")),
            ("certify_payment", _("Can certify payment requests as correct")),
            ("order_payment", _("Can order payments")),
            ("export_payments", _("Can export payments to the finance system")),
            ("confirm_payments", _("Can import payment confirmations")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="payment_tranche_per_application"
            ),
            models.UniqueConstraint(
                fields=["application", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="payment_request_key_per_application",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_gt_0"),
            # Exported and paid payments belong to exactly one batch; nothing else does.
            models.CheckConstraint(
                condition=models.Q(state__in=["exported", "paid"], batch__isnull=False)
                | (~models.Q(state__in=["exported", "paid"]) & models.Q(batch__isnull=True)),
                name="payment_batch_matches_state",
            ),
        ]

    # The inbox (workflows.selectors): what to load with the request, where the task is done.
    INBOX_RELATED = ("application__organisation", "application__action_field")

    def __str__(self):
        return f"{self.payment_key} ({format_amount(self.amount)})"

    def get_absolute_url(self):
        return reverse("payments:request", args=[self.pk])

    @property
    def is_open(self):
        return self.state in OPEN_PAYMENT_STATES

    @property
    def inbox_application(self):
        return self.application

    @property
    def inbox_amount(self):
        return self.amount

    # --- Transitions: no logic here; payments.services guards, locks, audits. ---------------
    @transition(field=state, source=PaymentState.REQUESTED, target=PaymentState.CERTIFIED)
    def certify(self):
        pass

    @transition(field=state, source=PaymentState.CERTIFIED, target=PaymentState.ORDERED)
    def order(self):
        pass

    @transition(field=state, source=PaymentState.ORDERED, target=PaymentState.EXPORTED)
    def export(self):
        pass

    @transition(field=state, source=PaymentState.EXPORTED, target=PaymentState.PAID)
    def confirm(self):
        pass

    @transition(
        field=state,
        source=[PaymentState.REQUESTED, PaymentState.CERTIFIED, PaymentState.ORDERED],
        target=PaymentState.REJECTED,
    )
    def reject(self):
        pass

    @transition(
        field=state,
        source=[PaymentState.REQUESTED, PaymentState.CERTIFIED],
        target=PaymentState.CANCELLED,
    )
    def cancel(self):
        pass


class ExportBatch(models.Model):
    """One export to the city's finance system: every ordered, not yet exported payment of a
    fiscal year, exactly once. Its files are generated once, at creation, and stored."""

    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="export_batches",
    )
    # "EX-<year>-<3 digits>", per fiscal year.
    batch_id = models.CharField(_("batch"), max_length=30, unique=True, editable=False)
    profile = models.SlugField(_("export profile"), max_length=50, editable=False)
    row_count = models.PositiveIntegerField(_("rows"), editable=False)
    control_total = MoneyField(_("control total"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("export batch")
        verbose_name_plural = _("export batches")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.batch_id

    @property
    def profile_name(self):
        """The layout's name for people ("Standard (Semikolon, …)"); its slug if no longer known."""
        try:
            return profiles.get_profile(self.profile).name
        except InvalidTransition:
            return self.profile


class ExportFile(models.Model):
    """A file of a batch, stored byte for byte (served as stored on every download)."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")
        SEPA = "sepa", _("SEPA credit transfer (pain.001)")

    batch = models.ForeignKey(ExportBatch, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(_("format"), max_length=10, choices=Format)
    filename = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(_("file type"), max_length=100)
    content = models.BinaryField(_("content"), editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        constraints = [
            models.UniqueConstraint(fields=["batch", "format"], name="exportfile_one_per_format"),
        ]

    def __str__(self):
        return self.filename


class ConfirmationImport(models.Model):
    """One imported confirmation file of the finance system (not a dry run), kept with its
    per-row results: which payments it confirmed, which rows it refused and why."""

    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    content = models.BinaryField(_("content"), editable=False)
    rows = models.JSONField(_("rows"), default=list, editable=False)
    confirmed_count = models.PositiveIntegerField(_("payments confirmed"), default=0)
    confirmed_total = MoneyField(_("total confirmed"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("payment confirmation import")
        verbose_name_plural = _("payment confirmation imports")
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return self.filename
