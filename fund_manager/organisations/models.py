from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from fund_manager.core.text import validate_single_line

from .validators import normalise_iban, validate_bic, validate_creditor_number, validate_iban


class IBANField(models.CharField):
    """Stored compact and upper-case; accepts the usual groups of four with spaces."""

    default_validators = [validate_iban]

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = 34
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_iban(value) if value else value

    def formfield(self, **kwargs):
        # Room for the spaces people type; to_python removes them before validation.
        return super().formfield(**{"max_length": 42, **kwargs})


class Organisation(models.Model):
    """Antragsteller: a provider, an initiative or a city department, with its members."""

    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Independent provider (freier Träger)")
        INITIATIVE = "initiative", _("Initiative / association")
        MUNICIPAL = "municipal", _("City department")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    # A private initiative without a legal person behind it (issue 13): its name is personal
    # data and appears in the open data only with the consent recorded in the application.
    natural_person = models.BooleanField(
        _("natural person"),
        default=False,
        help_text=_(
            "A private person or a private initiative without an association behind it. Its "
            "name is published as open data only with the consent given in the application."
        ),
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    creditor_number = models.CharField(
        _("creditor number"),
        max_length=10,
        blank=True,
        validators=[validate_creditor_number],
        help_text=_("The number under which the city’s treasury knows the payee."),
    )
    iban = IBANField(_("IBAN"), blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=200, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="organisations",
        verbose_name=_("members"),
        blank=True,
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        self.iban = normalise_iban(self.iban)

    @property
    def is_municipal(self):
        """A city department receives an internal allocation, no outside payment."""
        return self.kind == self.Kind.MUNICIPAL

    @property
    def is_natural_person(self):
        return self.natural_person


class Membership(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    since = models.DateField(_("member since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.organisation}"


class BankDetailsChange(models.Model):
    """A new bank account (and creditor number) for an organisation, entered by one person of
    the project office; it takes effect only when a second person confirms it (four eyes: the
    classic payment-fraud path). ``organisations.services`` runs the transitions."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("bank details change", "Awaiting confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("bank details change", "Confirmed")
        REJECTED = "rejected", pgettext_lazy("bank details change", "Rejected")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="bank_details_changes",
    )
    iban = IBANField(_("IBAN"))
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    account_holder = models.CharField(
        _("account holder"), max_length=200, validators=[validate_single_line]
    )
    creditor_number = models.CharField(
        _("creditor number"), max_length=10, blank=True, validators=[validate_creditor_number]
    )
    # What the organisation had before, recorded when the change was entered.
    previous = models.JSONField(_("previous bank details"), default=dict, blank=True)
    state = FSMField(_("state"), default=State.PENDING, choices=State.choices, protected=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(
        _("reason for the rejection"),
        max_length=500,
        blank=True,
        validators=[validate_single_line],
    )

    class Meta:
        verbose_name = _("change of bank details")
        verbose_name_plural = _("changes of bank details")
        ordering = ["-entered_at", "-id"]
        constraints = [
            # At most one change waits for confirmation per organisation.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(state="pending"),
                name="bankdetailschange_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.iban}"

    @property
    def is_pending(self):
        return self.state == self.State.PENDING

    @transition(field=state, source=State.PENDING, target=State.CONFIRMED)
    def confirm(self):
        pass

    @transition(field=state, source=State.PENDING, target=State.REJECTED)
    def reject(self):
        pass
