"""Reads of the usage reports: who may file or review one, what a page shows, and the figures
the review needs (the 20 % rule, the settlement by funding type, what was paid)."""

import datetime

from django.db.models import Prefetch, Q, Sum

from fund_manager.applications.models import Application
from fund_manager.applications.selectors import applications_visible_to
from fund_manager.core.money import ZERO, quantize
from fund_manager.ledger.models import Account, AccountKind
from fund_manager.payments.models import OPEN_PAYMENT_STATES, PaymentRequest, PaymentState
from fund_manager.rounds.models import ItemState
from policies import access
from policies import settlement as rules
from policies.funding import FundingType

from ..models import DueDateExtension, ExtensionState, Receipt, ReportCostLine, UsageReport

# The states of an application whose report the recipient may write and submit.
REPORTING_STATES = ("in_payment", "report_due")


# --- who may act ----------------------------------------------------------------------------------
def may_file(user, application) -> bool:
    """The recipient files: a provider of the applicant organisation with ``file_report``."""
    return access.is_provider_of(user, application) and user.has_perm("settlement.file_report")


def may_review(user, application) -> bool:
    """The project office reviews and decides extensions, never for its own organisation."""
    return user.has_perm("settlement.review_report") and not access.is_member(
        user, application.organisation_id
    )


# --- lists and details ---------------------------------------------------------------------
def reports_visible_to(user):
    """The reports of the applications ``user`` may see (policies.access)."""
    return UsageReport.objects.filter(application__in=applications_visible_to(user))


def report_list(user):
    return reports_visible_to(user).select_related(
        "application__organisation", "application__action_field"
    )


def _lines_prefetch():
    return Prefetch(
        "cost_lines",
        queryset=ReportCostLine.objects.select_related("cost_item").prefetch_related(
            Prefetch("receipts", queryset=Receipt.objects.order_by("position", "date", "id"))
        ),
    )


def report_detail(user, pk):
    """Raises UsageReport.DoesNotExist when missing or not visible (a 404 either way)."""
    return (
        reports_visible_to(user)
        .select_related(
            "application__organisation",
            "application__action_field",
            "application__fund",
            "submitted_by",
            "reviewed_by",
        )
        .prefetch_related(
            _lines_prefetch(),
            "participants__target_group",
            "payment_uses__payment",
            "attachments",
            "extensions",
        )
        .get(pk=pk)
    )


def report_of(application):
    return (
        UsageReport.objects.filter(application=application)
        .prefetch_related(_lines_prefetch(), "participants", "payment_uses", "attachments")
        .first()
    )


def extension_detail(user, pk):
    return DueDateExtension.objects.select_related(
        "report__application__organisation", "requested_by", "decided_by"
    ).get(pk=pk, report__in=reports_visible_to(user))


def pending_extension(report):
    return report.extensions.filter(state=ExtensionState.PENDING).first()


def reports_to_remind(today):
    """Drafts whose reminder may be due today (the job decides per report)."""
    horizon = today + datetime.timedelta(days=rules.REMIND_DAYS_BEFORE)
    return (
        UsageReport.objects.filter(
            state="draft",
            application__state__in=REPORTING_STATES,
            due_on__lte=horizon,
        )
        .filter(Q(reminded_before_on__isnull=True) | Q(reminded_after_on__isnull=True))
        .select_related("application__organisation")
        .order_by("due_on", "pk")
    )


def applications_past_end(today):
    """In payment and the project end has passed: the report is due (manage.py
    mark_reports_due)."""
    return (
        Application.objects.filter(state="in_payment", end_date__lt=today)
        .select_related("fund")
        .order_by("end_date", "pk")
    )


# --- figures --------------------------------------------------------------------------------------
def _balance(application, kind):
    total = Account.objects.filter(application=application, kind=kind).aggregate(
        total=Sum("balance")
    )["total"]
    return quantize(total or ZERO)


def paid_amount(application):
    """What the ledger shows as paid out to ``application`` (disbursed, net of refunds)."""
    return _balance(application, AccountKind.DISBURSED)


def open_commitment(application):
    return _balance(application, AccountKind.COMMITTED)


def open_payments(application):
    return PaymentRequest.objects.filter(
        application=application, state__in=OPEN_PAYMENT_STATES
    ).order_by("number")


def paid_payments(application):
    return PaymentRequest.objects.filter(application=application, state=PaymentState.PAID).order_by(
        "number"
    )


def funding_type_of(application):
    """The funding type of the decision (the approving agenda item), else the fund's default
    (an approval from before issue 11 has none)."""
    item_type = (
        application.agenda_items.filter(state=ItemState.APPROVED)
        .exclude(funding_type="")
        .order_by("-pk")
        .values_list("funding_type", flat=True)
        .first()
    )
    return item_type or application.fund.default_funding_type or FundingType.DEFICIT


def cost_check(report):
    """The 20 % rule over the report's cost lines (policies.settlement.check_costs), in the
    order of ``report.cost_lines.all()``."""
    return rules.check_costs((line.planned, line.actual) for line in report.cost_lines.all())


def settlement_of(report, eligible=None):
    """The settlement for ``eligible`` (default: the stated eligible costs, else the proposal
    of the 20 % rule)."""
    application = report.application
    if eligible is None:
        eligible = (
            report.eligible_costs
            if report.eligible_costs is not None
            else cost_check(report).proposed_eligible
        )
    return rules.settle(
        funding_type=funding_type_of(application),
        approved=application.approved_amount or ZERO,
        eligible=eligible,
        paid=paid_amount(application),
        open_commitment=open_commitment(application),
        own_funds=application.own_funds,
        third_party_funds=application.third_party_funds,
        planned_total=application.total_costs,
    )
