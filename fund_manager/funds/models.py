from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fund_manager.core.money import ZERO, MoneyField, non_negative
from fund_manager.core.text import MEDIUM_TEXT


class Fund(models.Model):
    """A discretionary fund (Verfügungsfonds) of a city: nothing in the code is city-specific."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    owner_department = models.CharField(_("owner department"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=MEDIUM_TEXT, blank=True)
    guideline = models.SlugField(
        _("funding guideline"),
        max_length=50,
        blank=True,
        help_text=_(
            "Which guideline files in policies/guidelines/ apply (their “fund” entry); "
            "empty means the fund’s code."
        ),
    )

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def guideline_series(self):
        return self.guideline or self.code


class FiscalYear(models.Model):
    """Haushaltsjahr of a fund with its annual budget (Haushaltsansatz)."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("fiscal year", "open")
        CLOSED = "closed", pgettext_lazy("fiscal year", "closed")

    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="fiscal_years"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # Written only by ledger.services.set_budget, together with the booking (verify_ledger).
    budget = MoneyField(_("annual budget"), default=ZERO, validators=[non_negative], editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.OPEN)

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="fiscalyear_unique_per_fund"),
            models.CheckConstraint(
                condition=models.Q(budget__gte=0), name="fiscalyear_budget_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.fund} {self.year}"

    @property
    def is_open(self):
        return self.state == self.State.OPEN


class _ReferenceEntry(models.Model):
    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT)
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["fund", "position", "name"]

    def __str__(self):
        return self.name


class ActionField(_ReferenceEntry):
    """Handlungsfeld: every application and every budget allocation belongs to one."""

    class Meta(_ReferenceEntry.Meta):
        verbose_name = _("action field")
        verbose_name_plural = _("action fields")
        default_related_name = "action_fields"
        constraints = [
            models.UniqueConstraint(fields=["fund", "code"], name="actionfield_unique_code"),
        ]


class TargetGroup(_ReferenceEntry):
    """Zielgruppe: an application names at least one."""

    class Meta(_ReferenceEntry.Meta):
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        default_related_name = "target_groups"
        constraints = [
            models.UniqueConstraint(fields=["fund", "code"], name="targetgroup_unique_code"),
        ]
