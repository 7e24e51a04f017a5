"""The revocation proceeding of a grant (its own module: the application's models are long
enough). Registered with the app through ``applications.models``, which imports it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fund_manager.core.money import ZERO, MoneyField
from fund_manager.core.text import LONG_TEXT


class RevocationStatus(models.TextChoices):
    HEARING = "hearing", pgettext_lazy("revocation", "Hearing")
    DECIDED = "decided", pgettext_lazy("revocation", "Decided")
    DROPPED = "dropped", pgettext_lazy("revocation", "Dropped")


class Revocation(ConcurrentTransitionMixin, models.Model):
    """One revocation proceeding of the project office (Widerruf or Teilwiderruf, § 49 Abs. 3
    VwVfG): the hearing (§ 28 VwVfG) with its deadline, the applicant's response, and the
    decision, within one year of the office learning the facts (§§ 49 Abs. 3 S. 2, 48 Abs. 4).

    Written only by ``applications.revocations`` and ``applications.grants`` (a full waiver
    ends the hearing); the letters are rebuilt from these fields.
    """

    class Ground(models.TextChoices):
        PURPOSE = "purpose", _("The grant was not used, or not used for its purpose")
        CONDITION = "condition", _("A condition of the notice was not met")

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="revocations",
    )
    status = FSMField(
        _("status"),
        default=RevocationStatus.HEARING,
        choices=RevocationStatus.choices,
        protected=True,
    )
    ground = models.CharField(_("ground"), max_length=20, choices=Ground)
    facts = models.TextField(_("facts"), max_length=LONG_TEXT)
    facts_known_on = models.DateField(_("facts known to the office on"))
    approved_before = MoneyField(_("approved amount before"), editable=False)
    intended_amount = MoneyField(_("intended new approved amount"))
    response_due = models.DateField(_("deadline for the response"))
    hearing_started_at = models.DateTimeField(_("hearing started at"), editable=False)
    hearing_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    response = models.TextField(_("response of the applicant"), max_length=LONG_TEXT, blank=True)
    response_received_on = models.DateField(_("response received on"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    decided_amount = MoneyField(_("new approved amount"), null=True, blank=True, editable=False)
    reasons = models.TextField(_("reasons"), max_length=LONG_TEXT, blank=True)

    class Meta:
        verbose_name = _("revocation proceeding")
        verbose_name_plural = _("revocation proceedings")
        ordering = ["-hearing_started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(status="hearing"),
                name="revocation_one_open_per_application",
            ),
            models.CheckConstraint(
                condition=models.Q(intended_amount__gte=0), name="revocation_intended_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(decided_amount__isnull=True) | models.Q(decided_amount__gte=0),
                name="revocation_decided_gte_0",
            ),
        ]

    def __str__(self):
        return f"{self.application_id}: {self.get_status_display()}"

    @property
    def is_full(self):
        amount = self.decided_amount if self.decided_amount is not None else self.intended_amount
        return amount == ZERO

    @property
    def is_open(self):
        return self.status == RevocationStatus.HEARING

    @transition(field=status, source=RevocationStatus.HEARING, target=RevocationStatus.DECIDED)
    def decide(self):
        pass

    @transition(field=status, source=RevocationStatus.HEARING, target=RevocationStatus.DROPPED)
    def drop(self):
        pass
