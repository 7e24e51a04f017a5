from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fund_manager.core.money import ZERO, MoneyField, non_negative
from fund_manager.core.text import MEDIUM_TEXT
from policies.funding import MAX_PROOF_OF_USE_MONTHS, FundingType


class OpenDataLicence(models.TextChoices):
    """The licences of the DCAT-AP.de licence vocabulary a fund may publish its open data under
    (https://www.dcat-ap.de/def/licenses/): the code is the last part of the licence's URI."""

    DL_BY_DE_2_0 = "dl-by-de/2.0", _("Data licence Germany – attribution – version 2.0")
    DL_ZERO_DE_2_0 = "dl-zero-de/2.0", _("Data licence Germany – zero – version 2.0")
    CC_BY_4_0 = "cc-by/4.0", _("Creative Commons Attribution 4.0 International (CC BY 4.0)")
    CC_BY_SA_4_0 = (
        "cc-by-sa/4.0",
        _("Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)"),
    )
    CC_ZERO = "cc-zero", _("Creative Commons Zero (CC0 1.0)")

    @property
    def uri(self):
        """The licence in the DCAT-AP.de vocabulary (what ``dct:license`` names)."""
        return f"http://dcat-ap.de/def/licenses/{self.value}"

    @property
    def page(self):
        """The licence's text for people."""
        return LICENCE_PAGES[self.value]

    @property
    def needs_attribution(self):
        return self.value not in ("dl-zero-de/2.0", "cc-zero")


LICENCE_PAGES = {
    "dl-by-de/2.0": "https://www.govdata.de/dl-de/by-2-0",
    "dl-zero-de/2.0": "https://www.govdata.de/dl-de/zero-2-0",
    "cc-by/4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa/4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/",
}


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
    # --- Terms of the grants (issue 11) ---------------------------------------------------------
    default_funding_type = models.CharField(
        _("default funding type"),
        max_length=10,
        choices=FundingType,
        default=FundingType.DEFICIT,
        help_text=_("Proposed for every approval; the chair may choose another one."),
    )
    proof_of_use_months = models.PositiveSmallIntegerField(
        _("months for the proof of use"),
        default=MAX_PROOF_OF_USE_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PROOF_OF_USE_MONTHS)],
        help_text=_("The usage report is due this many months after the project end (at most 6)."),
    )
    # --- Payments and the export to the city's finance system (issue 11) ------------------------
    ordering_office = models.CharField(
        _("ordering office"),
        max_length=200,
        blank=True,
        help_text=_("The office that orders the payments (anordnende Stelle), in the export."),
    )
    export_profile = models.SlugField(
        _("export profile"),
        max_length=50,
        default="default",
        help_text=_("The layout of the payment export (docs/budget-export.md)."),
    )
    # The budget position of the payments; an action field may name its own (ActionField).
    product_code = models.CharField(_("product"), max_length=30, blank=True)
    cost_centre = models.CharField(_("cost centre"), max_length=30, blank=True)
    cost_account = models.CharField(_("cost type account"), max_length=30, blank=True)
    # The city's own account, the debtor of a SEPA credit transfer file.
    payer_name = models.CharField(_("paying account holder"), max_length=70, blank=True)
    payer_iban = models.CharField(_("paying IBAN"), max_length=34, blank=True)
    payer_bic = models.CharField(_("paying BIC"), max_length=11, blank=True)
    # --- Open data (issue 13): the funded projects, public, without personal data ---------------
    open_data_published = models.BooleanField(
        _("publish open data"),
        default=True,
        help_text=_(
            "The funded projects appear on the public open data page and in its downloads."
        ),
    )
    open_data_licence = models.CharField(
        _("open data licence"),
        max_length=20,
        choices=OpenDataLicence,
        default=OpenDataLicence.DL_BY_DE_2_0,
    )
    open_data_attribution = models.CharField(
        _("attribution"),
        max_length=200,
        blank=True,
        help_text=_(
            "How users of the data name the source (e.g. “Stadt Herne”); empty means the owner "
            "department, else the fund’s name."
        ),
    )
    open_data_publisher = models.CharField(
        _("publisher"),
        max_length=200,
        blank=True,
        help_text=_("Who publishes the data (the city); empty means the owner department."),
    )
    open_data_publisher_uri = models.URLField(
        _("web address of the publisher"),
        blank=True,
        help_text=_("For example the city’s website or its entry in the transparency portal."),
    )
    open_data_contact_email = models.EmailField(
        _("contact e-mail for the open data"),
        blank=True,
        help_text=_("An office address, never a person’s own address."),
    )
    open_data_geocoding_uri = models.URLField(
        _("political geocoding URI"),
        blank=True,
        help_text=_(
            "The municipality in the DCAT-AP.de vocabulary, e.g. "
            "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/059160000000."
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

    @property
    def licence(self):
        return OpenDataLicence(self.open_data_licence)

    @property
    def attribution(self):
        """``dcatde:licenseAttributionByText``: the source users of the data name."""
        return self.open_data_attribution or self.owner_department or self.name

    @property
    def publisher(self):
        return self.open_data_publisher or self.owner_department or self.name


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

    # The budget position of its payments where it differs from the fund's (empty: the fund's).
    product_code = models.CharField(_("product"), max_length=30, blank=True)
    cost_centre = models.CharField(_("cost centre"), max_length=30, blank=True)
    cost_account = models.CharField(_("cost type account"), max_length=30, blank=True)

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
