"""The budget ledger: accounts per fiscal year and append-only transfers between them.

Only ``ledger.posting`` (``post_transfer`` and its batch ``post_transfers``) writes transfers
and account balances (DESIGN.md, "The ledger"). Transfers are never updated or deleted: a
correction is a reversing transfer.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fund_manager.core.money import ZERO, MoneyField


class AccountKind(models.TextChoices):
    BUDGET = "budget", pgettext_lazy("account", "Budget")
    UNALLOCATED = "unallocated", pgettext_lazy("account", "Unallocated")
    AVAILABLE = "available", pgettext_lazy("account", "Available")
    COMMITTED = "committed", pgettext_lazy("account", "Committed")
    DISBURSED = "disbursed", pgettext_lazy("account", "Disbursed")
    # Money received from outside the year's budget (issue 11): the counter account of
    # refunds of a closed year and of interest, which like ``budget`` may go below zero.
    RECEIPTS = "receipts", pgettext_lazy("account", "Receipts")
    PRIOR_YEAR_INCOME = "prior_year_income", pgettext_lazy("account", "Income from prior years")
    INTEREST_INCOME = "interest_income", pgettext_lazy("account", "Interest income")


# The accounts that are a source of money and may therefore go below zero.
SOURCE_KINDS = (AccountKind.BUDGET, AccountKind.RECEIPTS)
# One account of each of these per year, tied to neither an action field nor an application.
YEAR_LEVEL_KINDS = (
    AccountKind.BUDGET,
    AccountKind.UNALLOCATED,
    AccountKind.RECEIPTS,
    AccountKind.PRIOR_YEAR_INCOME,
    AccountKind.INTEREST_INCOME,
)


class TransferKind(models.TextChoices):
    BUDGET = "budget", pgettext_lazy("transfer", "Budget set or raised")
    BUDGET_REDUCTION = "budget_reduction", pgettext_lazy("transfer", "Budget reduced")
    ALLOCATION = "allocation", pgettext_lazy("transfer", "Allocation")
    DEALLOCATION = "deallocation", pgettext_lazy("transfer", "Allocation withdrawn")
    REALLOCATION = "reallocation", pgettext_lazy("transfer", "Reallocation")
    COMMITMENT = "commitment", pgettext_lazy("transfer", "Commitment")
    RELEASE = "release", pgettext_lazy("transfer", "Release")
    DISBURSEMENT = "disbursement", pgettext_lazy("transfer", "Disbursement")
    REFUND = "refund", pgettext_lazy("transfer", "Refund")
    REVERSAL = "reversal", pgettext_lazy("transfer", "Reversal")
    LAPSE = "lapse", pgettext_lazy("transfer", "Lapse at year end")
    CARRY_OUT = "carry_out", pgettext_lazy("transfer", "Carried over to next year")
    CARRY_IN = "carry_in", pgettext_lazy("transfer", "Carried over from last year")
    PRIOR_YEAR_REFUND = "prior_year_refund", pgettext_lazy("transfer", "Refund for a closed year")
    INTEREST = "interest", pgettext_lazy("transfer", "Interest received")


class Account(models.Model):
    """A budget position of one fiscal year. ``balance`` is materialised by post_transfer."""

    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind)
    action_field = models.ForeignKey(
        "funds.ActionField",
        verbose_name=_("action field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    balance = MoneyField(_("balance"), default=ZERO, editable=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["fiscal_year", "kind", "action_field", "application"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "kind"],
                condition=models.Q(kind__in=[str(kind) for kind in YEAR_LEVEL_KINDS]),
                name="account_unique_year_level",
            ),
            models.UniqueConstraint(
                fields=["fiscal_year", "kind", "action_field"],
                condition=models.Q(kind="available"),
                name="account_unique_available_per_field",
            ),
            models.UniqueConstraint(
                fields=["fiscal_year", "kind", "application"],
                condition=models.Q(kind__in=["committed", "disbursed"]),
                name="account_unique_per_application",
            ),
            # The database refuses a negative balance on any account but the budget source.
            models.CheckConstraint(
                condition=models.Q(kind__in=[str(kind) for kind in SOURCE_KINDS])
                | models.Q(balance__gte=0),
                name="account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind__in=[str(kind) for kind in YEAR_LEVEL_KINDS],
                        action_field__isnull=True,
                        application__isnull=True,
                    )
                    | models.Q(
                        kind="available", action_field__isnull=False, application__isnull=True
                    )
                    | models.Q(
                        kind__in=["committed", "disbursed"],
                        action_field__isnull=False,
                        application__isnull=False,
                    )
                ),
                name="account_shape_matches_kind",
            ),
        ]

    def __str__(self):
        year_level = not (self.application_id or self.action_field_id)
        return account_label(
            self.kind,
            year=self.fiscal_year.year if year_level else None,
            action_field_id=self.action_field_id,
            field_name=str(self.action_field) if self.action_field_id else "",
            application_id=self.application_id,
            reference=self.application.reference if self.application_id else "",
        )


def account_label(kind, *, year, action_field_id, field_name, application_id, reference) -> str:
    """An account as people read it ("Verfügbar: Wohnen"); posting builds it from the values
    it reads under its lock, ``str(account)`` from the related rows."""
    label = str(AccountKind(kind).label)
    if application_id:
        return f"{label}: {reference or application_id}"
    if action_field_id:
        return f"{label}: {field_name}"
    return f"{label} {year}"


class TransferQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Transfers are append-only: post a reversal instead.")

    def delete(self):
        raise TypeError("Transfers are append-only: post a reversal instead.")

    def bulk_update(self, *args, **kwargs):
        raise TypeError("Transfers are append-only: post a reversal instead.")


class Transfer(models.Model):
    """One booking (Buchung): a positive amount from one account to another of the same year.

    ``hash`` chains every transfer of a fiscal year to the one before (SHA-256 over the previous
    hash and this transfer's content), so a change made later, even by hand in the database,
    is found by ``manage.py verify_ledger`` (GoBD: bookings are never changed, only reversed).
    """

    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    sequence = models.PositiveIntegerField(_("number"), editable=False)
    source = models.ForeignKey(
        Account, verbose_name=_("from"), on_delete=models.PROTECT, related_name="outgoing"
    )
    target = models.ForeignKey(
        Account, verbose_name=_("to"), on_delete=models.PROTECT, related_name="incoming"
    )
    amount = MoneyField(_("amount"))
    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("booked at"))
    # The business object behind the booking (application, decision, payment ...), as a label
    # that survives the object and as a link where there is one.
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    business_reference = models.CharField(_("business reference"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    request_fingerprint = models.CharField(max_length=64, editable=False)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, unique=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-fiscal_year__year", "-sequence"]
        permissions = [
            ("manage_budget", _("Can set budgets, allocate and reallocate, reverse transfers")),
            ("close_fiscal_year", _("Can close a fiscal year")),
            ("view_ledger", _("Can read the ledger")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "idempotency_key"], name="transfer_idempotency_per_year"
            ),
            models.UniqueConstraint(
                fields=["fiscal_year", "sequence"], name="transfer_sequence_per_year"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transfer_amount_gt_0"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="transfer_two_accounts"
            ),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Transfers are append-only: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Transfers are append-only: post a reversal instead.")


class SpendingFreeze(models.Model):
    """Haushaltssperre (§ 25 KomHVO NRW): finance freezes a fiscal year, or one action field of
    it, with a reason. While a freeze is active no payment is ordered and no session commits
    money in a frozen field. Lifting it is recorded here and audited, never deleted."""

    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="freezes",
    )
    action_field = models.ForeignKey(
        "funds.ActionField",
        verbose_name=_("action field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="freezes",
        help_text=_("Empty: the whole fiscal year is frozen."),
    )
    reason = models.TextField(_("reason"), max_length=2000)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("frozen by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    frozen_at = models.DateTimeField(_("frozen at"))
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("spending freeze")
        verbose_name_plural = _("spending freezes")
        ordering = ["-frozen_at", "-id"]
        permissions = [("freeze_spending", _("Can freeze and release spending"))]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year"],
                condition=models.Q(lifted_at__isnull=True, action_field__isnull=True),
                name="freeze_one_active_per_year",
            ),
            models.UniqueConstraint(
                fields=["fiscal_year", "action_field"],
                condition=models.Q(lifted_at__isnull=True, action_field__isnull=False),
                name="freeze_one_active_per_field",
            ),
        ]

    def __str__(self):
        return f"{self.fiscal_year}: {self.action_field or _('whole year')}"

    @property
    def is_active(self):
        return self.lifted_at is None
