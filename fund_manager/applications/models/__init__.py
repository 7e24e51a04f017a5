"""The application and its parts: cost items, attachments, guideline checks; the revocation
proceeding lives in ``revocation.py`` and is imported here, so Django registers it with the app
and callers import every model of the app from ``applications.models``."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fund_manager.core.money import ZERO, MoneyField
from fund_manager.core.text import LONG_TEXT

from .assessment import RuleAssessment, RuleAssessmentQuerySet
from .revocation import Revocation, RevocationStatus

__all__ = [
    "EDITABLE_STATES",
    "GRANT_CHANGEABLE_STATES",
    "PAYABLE_STATES",
    "WITHDRAWABLE_STATES",
    "Application",
    "Attachment",
    "CostItem",
    "GuidelineCheck",
    "GuidelineCheckQuerySet",
    "Revocation",
    "RevocationStatus",
    "RuleAssessment",
    "RuleAssessmentQuerySet",
    "State",
    "attachment_path",
    "private_storage",
]


class State(models.TextChoices):
    """Application states (docs/architecture.md). Later issues add the transitions they own."""

    DRAFT = "draft", pgettext_lazy("application state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("application state", "Submitted")
    IN_REVIEW = "in_review", pgettext_lazy("application state", "In review")
    CHANGES_REQUESTED = "changes_requested", pgettext_lazy("application state", "Changes requested")
    ELIGIBLE = "eligible", pgettext_lazy("application state", "Eligible")
    INELIGIBLE = "ineligible", pgettext_lazy("application state", "Ineligible")
    SCHEDULED = "scheduled", pgettext_lazy("application state", "Scheduled for a round")
    APPROVED = "approved", pgettext_lazy("application state", "Approved")
    REJECTED = "rejected", pgettext_lazy("application state", "Rejected")
    DEFERRED = "deferred", pgettext_lazy("application state", "Deferred")
    IN_PAYMENT = "in_payment", pgettext_lazy("application state", "In payment")
    REPORT_DUE = "report_due", pgettext_lazy("application state", "Usage report due")
    REPORT_SUBMITTED = (
        "report_submitted",
        pgettext_lazy("application state", "Usage report submitted"),
    )
    REFUND_DUE = "refund_due", pgettext_lazy("application state", "Refund due")
    CLOSED = "closed", pgettext_lazy("application state", "Closed")
    WITHDRAWN = "withdrawn", pgettext_lazy("application state", "Withdrawn")
    REVOKED = "revoked", pgettext_lazy("application state", "Revoked")
    # The recipient waived the whole grant itself (Verzicht): the approval ended without an
    # act of the office, so it is not "revoked" (docs/decisions.md, "Changing an approval").
    WAIVED = "waived", pgettext_lazy("application state", "Waived")


# The provider may change the content only while the application is in its hands.
EDITABLE_STATES = (State.DRAFT, State.CHANGES_REQUESTED)
# "withdrawn from any state before a decision" (docs/architecture.md).
WITHDRAWABLE_STATES = (
    State.SUBMITTED,
    State.IN_REVIEW,
    State.CHANGES_REQUESTED,
    State.ELIGIBLE,
    State.SCHEDULED,
    State.DEFERRED,
)
# The states in which an approval can be waived or revoked (see Application.waive): from the
# approval until the usage report is settled. Once money was paid, the paid part of a waiver
# or revocation becomes a refund claim (workflows.grants).
GRANT_CHANGEABLE_STATES = (
    State.APPROVED,
    State.IN_PAYMENT,
    State.REPORT_DUE,
    State.REPORT_SUBMITTED,
)
# A grant whose money may still be requested (payments.services): until the report is filed.
PAYABLE_STATES = (State.APPROVED, State.IN_PAYMENT, State.REPORT_DUE)


class Application(ConcurrentTransitionMixin, models.Model):
    """Antrag. State changes only through ``applications.services`` (django-fsm-2, protected)."""

    class ProjectKind(models.TextChoices):
        MODEL = "model", _("Model project")
        SHORT_TERM = "short_term", _("Short-term necessity")

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, null=True, blank=True, editable=False
    )
    fund = models.ForeignKey(
        "funds.Fund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="applications"
    )
    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("project title"), max_length=200)
    summary = models.TextField(_("project description"), max_length=LONG_TEXT, blank=True)
    project_kind = models.CharField(
        _("kind of project"), max_length=20, choices=ProjectKind, blank=True
    )
    approach = models.TextField(
        _("new approach and contribution to sustainable integration"),
        max_length=LONG_TEXT,
        blank=True,
    )
    action_field = models.ForeignKey(
        "funds.ActionField",
        verbose_name=_("action field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    target_groups = models.ManyToManyField(
        "funds.TargetGroup", verbose_name=_("target groups"), blank=True, related_name="+"
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    start_date = models.DateField(_("project start"), null=True, blank=True)
    end_date = models.DateField(_("project end"), null=True, blank=True)

    # Financing plan. total_costs and requested_amount are derived from the cost items by
    # applications.content.recalculate_amounts and never typed by anybody.
    own_funds = MoneyField(_("own funds"), default=ZERO)
    third_party_funds = MoneyField(_("third-party funds"), default=ZERO)
    third_party_funds_source = models.CharField(
        _("source of third-party funds"), max_length=300, blank=True
    )
    total_costs = MoneyField(_("total costs"), default=ZERO, editable=False)
    requested_amount = MoneyField(_("requested amount"), default=ZERO, editable=False)
    approved_amount = MoneyField(_("approved amount"), null=True, blank=True, editable=False)

    # Declarations (Erklärungen). The two legal ones are required before submitting
    # (policies.completeness); the other two are judged by the office.
    declares_not_otherwise_financeable = models.BooleanField(
        _("The project cannot be financed otherwise."), default=False
    )
    declares_not_started = models.BooleanField(
        _("The project has not started and will not start before the decision."), default=False
    )
    declares_new_approach = models.BooleanField(
        _("The project follows a new approach to integration."), default=False
    )
    declares_sustainable = models.BooleanField(
        _("The project contributes to sustainable integration."), default=False
    )
    # Issue 13: a natural person's name (Organisation.natural_person) appears in the open data
    # only with this consent; organisations (legal persons) are always named.
    publication_consent = models.BooleanField(
        _("The applicant agrees to the publication of its name with the project in the open data."),
        default=False,
    )

    state = FSMField(
        _("state"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    guideline_version = models.CharField(
        _("guideline version"), max_length=50, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_all_applications", _("Can see the applications of all organisations")),
            ("submit_application", _("Can submit and resubmit applications")),
            ("withdraw_application", _("Can withdraw applications")),
            ("review_application", _("Can check applications against the guidelines")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(own_funds__gte=0), name="application_own_funds_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(third_party_funds__gte=0),
                name="application_third_party_gte_0",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="application_end_after_start",
            ),
        ]
        indexes = [
            # The staff list's order (newest submission first): page 1 reads the first rows
            # of this index instead of sorting the whole table (issue 10).
            models.Index(fields=["-submitted_at", "-id"], name="application_submitted_desc"),
        ]

    def __str__(self):
        return f"{self.reference or _('Draft')}: {self.title}"

    @property
    def is_editable(self):
        return self.state in EDITABLE_STATES

    # --- Transitions: no logic here; applications.services guards, locks, audits. -------------
    @transition(field=state, source=State.DRAFT, target=State.SUBMITTED)
    def submit(self):
        pass

    @transition(field=state, source=State.CHANGES_REQUESTED, target=State.SUBMITTED)
    def resubmit(self):
        pass

    @transition(field=state, source=list(WITHDRAWABLE_STATES), target=State.WITHDRAWN)
    def withdraw(self):
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.IN_REVIEW)
    def start_review(self):
        pass

    @transition(field=state, source=State.IN_REVIEW, target=State.CHANGES_REQUESTED)
    def request_changes(self):
        pass

    @transition(field=state, source=State.IN_REVIEW, target=State.ELIGIBLE)
    def mark_eligible(self):
        pass

    @transition(field=state, source=State.IN_REVIEW, target=State.INELIGIBLE)
    def mark_ineligible(self):
        pass

    # --- The round decision (rounds.services checks roles; see policies.voting). ---------------
    @transition(field=state, source=[State.ELIGIBLE, State.DEFERRED], target=State.SCHEDULED)
    def schedule(self):
        pass

    @transition(field=state, source=State.SCHEDULED, target=State.APPROVED)
    def approve(self):
        pass

    @transition(field=state, source=State.SCHEDULED, target=State.REJECTED)
    def reject(self):
        pass

    @transition(field=state, source=State.SCHEDULED, target=State.DEFERRED)
    def defer(self):
        pass

    # --- After the approval: payments, usage report, settlement (issue 11). -------------------
    # payments.services and settlement.services guard, lock and audit; workflows moves the
    # processes. The first payment request starts the payout.
    @transition(field=state, source=State.APPROVED, target=State.IN_PAYMENT)
    def start_payment(self):
        pass

    # The project end has passed (manage.py mark_reports_due, daily).
    @transition(field=state, source=State.IN_PAYMENT, target=State.REPORT_DUE)
    def mark_report_due(self):
        pass

    # The recipient files its usage report (early: straight from in_payment).
    @transition(
        field=state, source=[State.IN_PAYMENT, State.REPORT_DUE], target=State.REPORT_SUBMITTED
    )
    def submit_report(self):
        pass

    @transition(field=state, source=State.REPORT_SUBMITTED, target=State.REPORT_DUE)
    def request_report_revision(self):
        pass

    # The report is accepted and less is eligible than was paid: a refund claim is open.
    @transition(field=state, source=State.REPORT_SUBMITTED, target=State.REFUND_DUE)
    def claim_refund(self):
        pass

    # Closing a grant: the report accepted and nothing owed, or the claim settled, or (by the
    # office) an approval with nothing requested by the project end.
    @transition(
        field=state,
        source=[State.REPORT_SUBMITTED, State.REFUND_DUE, State.APPROVED],
        target=State.CLOSED,
    )
    def close(self):
        pass

    # --- Changing an approval (applications.grants checks roles; workflows.grants books). ------
    @transition(field=state, source=list(GRANT_CHANGEABLE_STATES), target=State.WAIVED)
    def waive(self):
        pass

    @transition(field=state, source=list(GRANT_CHANGEABLE_STATES), target=State.REVOKED)
    def revoke(self):
        pass

    @transition(field=state, source=list(GRANT_CHANGEABLE_STATES), target=None)
    def reduce_approval(self):
        """A partial waiver or revocation: the state stays, the approved amount falls."""


class CostItem(models.Model):
    """One line of the cost plan (Kostenplan)."""

    class Category(models.TextChoices):
        PERSONNEL = "personnel", _("Personnel, fees")
        MATERIAL = "material", _("Material costs")
        RENT = "rent", _("Rent, rooms")
        TRAVEL = "travel", _("Travel costs")
        PUBLIC_RELATIONS = "public_relations", _("Public relations")
        OTHER = "other", _("Other")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="cost_items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    category = models.CharField(_("category"), max_length=20, choices=Category)
    description = models.CharField(_("description"), max_length=300)
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("cost item")
        verbose_name_plural = _("cost items")
        ordering = ["application", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="costitem_amount_gt_0"),
        ]

    def __str__(self):
        return f"{self.get_category_display()}: {self.description}"


def attachment_path(instance, filename):
    # A random name: the original file name is kept in the database only.
    suffix = PurePath(filename).suffix.lower()
    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}{suffix}"


def private_storage():
    return storages["private"]


class Attachment(models.Model):
    """An uploaded document; stored outside the web root, streamed only after a visibility check."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class GuidelineCheckQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Guideline checks are evidence: they are never changed.")

    def delete(self):
        raise TypeError("Guideline checks are evidence: they are never deleted.")


class GuidelineCheck(models.Model):
    """The findings of one evaluation against a guideline version, kept as evidence.

    Checks are appended, never changed: a re-evaluation (for instance against a newer version)
    adds a check, and the history shows both.
    """

    class Trigger(models.TextChoices):
        SUBMISSION = "submission", _("Submission")
        RESUBMISSION = "resubmission", _("Resubmission")
        REEVALUATION = "reevaluation", _("Re-evaluation by the project office")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="guideline_checks"
    )
    guideline_version = models.CharField(_("guideline version"), max_length=50)
    guideline_digest = models.CharField(max_length=64)
    trigger = models.CharField(_("occasion"), max_length=20, choices=Trigger)
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    facts = models.JSONField(_("facts"), default=dict)
    findings = models.JSONField(_("findings"), default=list)

    objects = GuidelineCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("guideline check")
        verbose_name_plural = _("guideline checks")
        ordering = ["-checked_at", "-id"]

    def __str__(self):
        return f"{self.application_id} v{self.guideline_version} {self.checked_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Guideline checks are evidence: they are never changed.")
        super().save(*args, **kwargs)

    @property
    def failed(self):
        return [f for f in self.findings if f["outcome"] == "fail"]

    @property
    def to_review(self):
        return [f for f in self.findings if f["outcome"] == "review"]
