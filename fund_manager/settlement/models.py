"""After the project (issue 11): the usage report (Verwendungsnachweis) with its cost lines,
receipts, participants and due-date extensions; the refund claims (Rückforderung, § 49a
VwVfG) with the refunds received; the base-rate table the interest is computed from.

States change only through ``settlement.services`` (django-fsm-2, protected); money moves only
through the ledger's posting service.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fund_manager.applications.models import private_storage
from fund_manager.core.money import ZERO, MoneyField
from fund_manager.core.text import LONG_TEXT, MEDIUM_TEXT


class ReportState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("usage report", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("usage report", "Submitted")
    REVISION_REQUESTED = (
        "revision_requested",
        pgettext_lazy("usage report", "Revision requested"),
    )
    ACCEPTED = "accepted", pgettext_lazy("usage report", "Accepted")


class UsageReport(ConcurrentTransitionMixin, models.Model):
    """Verwendungsnachweis of one grant: the narrative, the actual costs per cost-plan line with
    their receipts, participants per target group, when each payment was spent; reviewed by
    the project office, which states the eligible costs."""

    application = models.OneToOneField(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="usage_report",
    )
    state = FSMField(
        _("state"), default=ReportState.DRAFT, choices=ReportState.choices, protected=True
    )
    # The project end plus the fund's months (policies.settlement), later when an extension
    # was granted.
    due_on = models.DateField(_("due on"))
    narrative = models.TextField(_("report on the project"), max_length=LONG_TEXT, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    review_note = models.TextField(_("note of the review"), max_length=MEDIUM_TEXT, blank=True)
    # Set with the acceptance: the eligible costs the office recognises, and what the grant
    # comes to after the settlement by funding type (policies.settlement).
    eligible_costs = MoneyField(_("eligible costs"), null=True, blank=True, editable=False)
    settled_grant = MoneyField(_("grant after settlement"), null=True, blank=True, editable=False)
    # The daily reminder job (manage.py send_report_reminders) records what it sent.
    reminded_before_on = models.DateField(null=True, blank=True, editable=False)
    reminded_after_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("usage report")
        verbose_name_plural = _("usage reports")
        ordering = ["due_on", "id"]
        permissions = [
            ("file_report", _("Can file usage reports of the own organisation's grants")),
            ("review_report", _("Can review usage reports and decide extensions")),
        ]

    def __str__(self):
        return f"{self.application}: {self.get_state_display()}"

    # The inbox (workflows.selectors): where the task "review the usage report" is done.
    INBOX_RELATED = ("application__organisation",)

    def get_absolute_url(self):
        return reverse("settlement:report_review", args=[self.pk])

    @property
    def inbox_application(self):
        return self.application

    @property
    def inbox_amount(self):
        return self.application.approved_amount

    @property
    def is_editable(self):
        return self.state in (ReportState.DRAFT, ReportState.REVISION_REQUESTED)

    @transition(
        field=state,
        source=[ReportState.DRAFT, ReportState.REVISION_REQUESTED],
        target=ReportState.SUBMITTED,
    )
    def submit(self):
        pass

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.REVISION_REQUESTED)
    def request_revision(self):
        pass

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.ACCEPTED)
    def accept(self):
        pass


class ReportCostLine(models.Model):
    """The actual cost of one line of the cost plan (or a line the plan did not have)."""

    report = models.ForeignKey(UsageReport, on_delete=models.CASCADE, related_name="cost_lines")
    cost_item = models.ForeignKey(
        "applications.CostItem",
        verbose_name=_("line of the cost plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    category = models.CharField(_("category"), max_length=20)
    description = models.CharField(_("description"), max_length=300)
    planned = MoneyField(_("planned"), default=ZERO)
    actual = MoneyField(_("actual costs"), default=ZERO)

    class Meta:
        verbose_name = _("cost line of the report")
        verbose_name_plural = _("cost lines of the report")
        ordering = ["report", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned__gte=0), name="costline_planned_gte_0"
            ),
            models.CheckConstraint(condition=models.Q(actual__gte=0), name="costline_actual_gte_0"),
        ]

    def __str__(self):
        return self.description


class Receipt(models.Model):
    """One entry of the receipt list (Belegliste): date, payee, reason, amount."""

    report = models.ForeignKey(UsageReport, on_delete=models.CASCADE, related_name="receipts")
    cost_line = models.ForeignKey(
        ReportCostLine,
        verbose_name=_("cost line"),
        on_delete=models.CASCADE,
        related_name="receipts",
    )
    position = models.PositiveSmallIntegerField(_("number"), default=0)
    date = models.DateField(_("date"))
    payee = models.CharField(_("payee"), max_length=200)
    reason = models.CharField(_("reason for payment"), max_length=300)
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["report", "position", "date", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receipt_amount_gt_0"),
        ]

    def __str__(self):
        return f"{self.date} {self.payee} {self.amount}"


def report_attachment_path(instance, filename):
    suffix = PurePath(filename).suffix.lower()
    return f"reports/{instance.report_id}/{uuid.uuid4().hex}{suffix}"


class ReportAttachment(models.Model):
    """A receipt or other document of the report; private storage, streamed after a check."""

    report = models.ForeignKey(UsageReport, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=report_attachment_path, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment of the report")
        verbose_name_plural = _("attachments of the report")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ParticipantCount(models.Model):
    """How many people of a target group the project reached (numbers only, no persons)."""

    report = models.ForeignKey(UsageReport, on_delete=models.CASCADE, related_name="participants")
    target_group = models.ForeignKey(
        "funds.TargetGroup",
        verbose_name=_("target group"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    count = models.PositiveIntegerField(_("participants"))

    class Meta:
        verbose_name = _("participants")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "target_group"], name="participants_once_per_group"
            ),
        ]

    def __str__(self):
        return f"{self.target_group}: {self.count}"


class PaymentUse(models.Model):
    """When the money of one payment was spent (ANBest-P no. 1.4; § 49a Abs. 4 VwVfG: interest
    for money not used within two months of its payout)."""

    report = models.ForeignKey(UsageReport, on_delete=models.CASCADE, related_name="payment_uses")
    payment = models.OneToOneField(
        "payments.PaymentRequest",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="use",
    )
    spent_on = models.DateField(_("spent in full on"))

    class Meta:
        verbose_name = _("use of a payment")
        verbose_name_plural = _("use of the payments")

    def __str__(self):
        return f"{self.payment}: {self.spent_on}"


class ExtensionState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("extension", "Pending")
    GRANTED = "granted", pgettext_lazy("extension", "Granted")
    REFUSED = "refused", pgettext_lazy("extension", "Refused")


class DueDateExtension(ConcurrentTransitionMixin, models.Model):
    """The recipient asks for a later due date of the report, with a reason; the office grants
    or refuses it."""

    report = models.ForeignKey(UsageReport, on_delete=models.PROTECT, related_name="extensions")
    state = FSMField(
        _("state"), default=ExtensionState.PENDING, choices=ExtensionState.choices, protected=True
    )
    previous_due_on = models.DateField(_("due before"), editable=False)
    requested_due_on = models.DateField(_("requested due date"))
    reason = models.TextField(_("reason"), max_length=MEDIUM_TEXT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    requested_at = models.DateTimeField(_("requested at"), editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decision_note = models.TextField(_("note"), max_length=MEDIUM_TEXT, blank=True)

    class Meta:
        verbose_name = _("extension of the due date")
        verbose_name_plural = _("extensions of the due date")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(state="pending"),
                name="extension_one_pending_per_report",
            ),
        ]

    def __str__(self):
        # The inbox shows this as the task's subject.
        return _("Later due date of the usage report: %(date)s") % {
            "date": self.requested_due_on.strftime("%d.%m.%Y")
        }

    # The inbox (workflows.selectors): where the task "decide on the extension" is done.
    INBOX_RELATED = ("report__application__organisation",)
    inbox_amount = None

    def get_absolute_url(self):
        return reverse("settlement:extension_decide", args=[self.pk])

    @property
    def inbox_application(self):
        return self.report.application

    @transition(field=state, source=ExtensionState.PENDING, target=ExtensionState.GRANTED)
    def grant(self):
        pass

    @transition(field=state, source=ExtensionState.PENDING, target=ExtensionState.REFUSED)
    def refuse(self):
        pass


class ClaimState(models.TextChoices):
    OPEN = "open", pgettext_lazy("refund claim", "Open")
    SETTLED = "settled", pgettext_lazy("refund claim", "Settled")


class RefundClaim(ConcurrentTransitionMixin, models.Model):
    """Rückforderung: what the recipient owes back after a refund decision (a settled usage
    report or a revocation), with interest of 5 points above the base rate a year from the day
    the decision takes effect (§ 49a Abs. 3 VwVfG), plus interest for money not used within
    two months of its payout (§ 49a Abs. 4), fixed with the decision. Settled when paid in full
    including interest, or when the office waived the (remaining) interest with a reason."""

    class Origin(models.TextChoices):
        REPORT = "report", _("Settlement of the usage report")
        REVOCATION = "revocation", _("Revocation")
        WAIVER = "waiver", _("Waiver by the recipient")

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="refund_claims",
    )
    # "RF-<year>-<3 digits>", per fiscal year of the application.
    reference = models.CharField(_("reference"), max_length=30, unique=True, editable=False)
    origin = models.CharField(_("origin"), max_length=20, choices=Origin)
    revocation = models.ForeignKey(
        "applications.Revocation",
        verbose_name=_("revocation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_claims",
    )
    state = FSMField(
        _("state"), default=ClaimState.OPEN, choices=ClaimState.choices, protected=True
    )
    principal = MoneyField(_("amount claimed"))
    # § 49a Abs. 4 VwVfG, computed once with the decision.
    late_use_interest = MoneyField(_("interest for late use"), default=ZERO)
    effective_on = models.DateField(_("decision effective on"))
    due_on = models.DateField(_("due on"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"))
    reasons = models.TextField(_("reasons"), max_length=LONG_TEXT, blank=True)
    interest_waived = models.BooleanField(_("interest waived"), default=False, editable=False)
    interest_waiver_reason = models.TextField(
        _("reason for waiving the interest"), max_length=MEDIUM_TEXT, blank=True, editable=False
    )
    interest_waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    interest_waived_at = models.DateTimeField(null=True, blank=True, editable=False)
    settled_on = models.DateField(_("settled on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("refund claim")
        verbose_name_plural = _("refund claims")
        ordering = ["-decided_at", "-id"]
        permissions = [
            ("record_refund", _("Can record refunds received")),
            ("waive_interest", _("Can waive the interest of a refund claim")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(principal__gt=0), name="claim_principal_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(late_use_interest__gte=0), name="claim_late_interest_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.principal})"

    # The inbox (workflows.selectors) shows RefundFlow's task "collect" with these.
    INBOX_RELATED = ("application__organisation",)

    def get_absolute_url(self):
        return reverse("settlement:claim_detail", args=[self.pk])

    @property
    def inbox_application(self):
        return self.application

    @property
    def inbox_amount(self):
        return self.principal

    @transition(field=state, source=ClaimState.OPEN, target=ClaimState.SETTLED)
    def settle(self):
        pass


class RefundReceipt(models.Model):
    """A refund received (partly or in full), recorded by finance and booked in the ledger:
    first to the interest owed on that day, then to the amount claimed (§ 367 Abs. 1 BGB)."""

    claim = models.ForeignKey(RefundClaim, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField(_("received on"))
    amount = MoneyField(_("amount received"))
    interest_part = MoneyField(_("of which interest"), editable=False)
    principal_part = MoneyField(_("of which the amount claimed"), editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    idempotency_key = models.CharField(max_length=100, unique=True, editable=False)

    class Meta:
        verbose_name = _("refund received")
        verbose_name_plural = _("refunds received")
        ordering = ["claim", "received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receipt_amount_gt_0_r"),
            models.CheckConstraint(
                condition=models.Q(interest_part__gte=0, principal_part__gte=0),
                name="refund_parts_gte_0",
            ),
        ]

    def __str__(self):
        return f"{self.claim}: {self.amount} ({self.received_on})"


class BaseRate(models.Model):
    """Basiszinssatz (§ 247 BGB), kept as data with its source: the rate in percent a year,
    valid from ``valid_from`` until the next entry. Published by the Deutsche Bundesbank on
    1 January and 1 July."""

    valid_from = models.DateField(_("valid from"), unique=True)
    rate = models.DecimalField(_("base rate in percent"), max_digits=5, decimal_places=2)
    source = models.CharField(_("source"), max_length=300)
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        verbose_name = _("base rate")
        verbose_name_plural = _("base rates")
        ordering = ["-valid_from"]

    def __str__(self):
        return f"{self.valid_from}: {self.rate} %"
