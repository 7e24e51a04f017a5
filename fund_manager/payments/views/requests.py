"""Pages of the payment requests (Mittelabruf): the recipient's request and cancellation, the
office's certification, finance's payment order, rejection, the office's closing of an unused
approval, and the staff list with filters.

Thin: each page checks who may see it (404 for what one may not see, 403 for a role that may
not act), shows the form, then a summary to confirm, and calls one use case of
``workflows.payments``. A refusal changes nothing and is shown as a message or field errors.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fund_manager.applications.models import Application
from fund_manager.applications.selectors import application_detail
from fund_manager.core.confirm import summary_row as _row
from fund_manager.core.pages import action_page, page_of, visible_or_404
from fund_manager.core.pages import short_date as _date
from fund_manager.core.roles import Role, has_role, is_staff_reader
from fund_manager.rounds import services as round_services
from policies import payments as rules
from workflows import payments as use_cases

from .. import selectors
from ..forms import (
    ConfirmForm,
    PaymentFilterForm,
    PaymentRequestForm,
    ReasonForm,
    RemedyWaiverForm,
)
from ..models import PaymentRequest


def _application(request, pk):
    return visible_or_404(Application, application_detail, request.user, pk)


def _payment(request, pk):
    return visible_or_404(PaymentRequest, selectors.payment_detail, request.user, pk)


def _action(request, form, *, application, act, success, summary, back, payment=None, **page):
    """Every action page: form, summary to confirm, the use case, back to ``back``."""
    return action_page(
        request,
        form,
        act=act,
        success=success,
        back=back,
        template="payments/request_action.html",
        context={"application": application, "payment": payment, "back": back, **page},
        summary=summary,
    )


# --- the recipient ------------------------------------------------------------------------------
@login_required
def new(request, pk):
    application = _application(request, pk)
    if not rules.may_request(request.user, application):
        raise PermissionDenied
    payout = selectors.payout(application)
    form = PaymentRequestForm(request.POST or None)
    today = timezone.localdate()

    def summary(form):
        amount = form.cleaned_data["amount"]
        return [
            _row(_("Approved amount"), payout.approved, money=True),
            _row(_("Requested before (open or paid)"), payout.requested + payout.paid, money=True),
            _row(_("This request"), amount, money=True),
            _row(_("Left afterwards"), payout.remaining - amount, money=True),
            _row(_("Needed by"), _date(form.cleaned_data["needed_by"])),
        ]

    def act(form):
        data = form.cleaned_data
        return use_cases.request_payment(
            application=application,
            by=request.user,
            amount=data["amount"],
            needed_by=data["needed_by"],
            declaration=data["declaration"],
            idempotency_key=form.key,
        )

    return _action(
        request,
        form,
        application=application,
        act=act,
        summary=summary,
        success=lambda payment: _(
            "Your payment request %(key)s has been sent. The project office checks it next."
        )
        % {"key": payment.payment_key},
        back=reverse("applications:detail", args=[application.pk]),
        title=_("Request money"),
        intro=_(
            "Request only what you need for due payments within the next two months "
            "(by %(date)s at the latest)."
        )
        % {"date": _date(rules.latest_needed_by(today))},
        payout=payout,
        confirm_label=_("Send the request"),
    )


def _payment_action(request, payment, form, **page):
    """An action on one payment request: its page is where it goes back to."""
    return _action(
        request,
        form,
        application=payment.application,
        payment=payment,
        back=payment.get_absolute_url(),
        **page,
    )


@login_required
def cancel(request, pk):
    payment = _payment(request, pk)
    if not rules.may_cancel(request.user, payment.application):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    return _payment_action(
        request,
        payment,
        form,
        act=lambda form: use_cases.cancel_payment(
            payment=payment, by=request.user, reason=form.cleaned_data["reason"]
        ),
        summary=lambda form: [
            _row(_("Payment request"), payment.payment_key),
            _row(_("Amount"), payment.amount, money=True),
            _row(_("Reason"), form.cleaned_data["reason"]),
        ],
        success=_("The payment request has been cancelled."),
        title=_("Cancel the payment request"),
        intro=_("A cancelled request cannot be reopened; you can make a new one."),
        confirm_label=_("Cancel the request now"),
    )


# --- the four eyes ------------------------------------------------------------------------------
@login_required
def certify(request, pk):
    payment = _payment(request, pk)
    if not rules.may_certify(request.user, payment.application.organisation_id):
        raise PermissionDenied
    form = ConfirmForm(request.POST or None)
    return _payment_action(
        request,
        payment,
        form,
        act=lambda form: use_cases.certify_payment(payment=payment, by=request.user),
        summary=lambda form: _payment_summary(payment),
        success=_("The request is certified as correct. Finance orders the payment next."),
        title=_("Certify the payment request"),
        intro=_(
            "You confirm that the request is factually correct (sachlich richtig): the grant "
            "is final, the amount is due and within the approval."
        ),
        confirm_label=_("Certify as correct"),
    )


@login_required
def order(request, pk):
    payment = _payment(request, pk)
    if not rules.may_order(
        request.user, payment.application.organisation_id, payment.certified_by_id
    ):
        raise PermissionDenied
    form = ConfirmForm(request.POST or None)
    return _payment_action(
        request,
        payment,
        form,
        act=lambda form: use_cases.order_payment(payment=payment, by=request.user),
        summary=lambda form: _payment_summary(payment),
        success=lambda ordered: _(
            "The payment is ordered with document number %(number)s; it goes out with the "
            "next export."
        )
        % {"number": ordered.document_number},
        title=_("Order the payment"),
        intro=_(
            "You order the payment (Anordnung). It is exported to the city's finance system "
            "with the next export batch."
        ),
        confirm_label=_("Order the payment"),
    )


@login_required
def reject(request, pk):
    payment = _payment(request, pk)
    if not rules.may_reject(request.user, payment.application.organisation_id):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    return _payment_action(
        request,
        payment,
        form,
        act=lambda form: use_cases.reject_payment(
            payment=payment, by=request.user, reason=form.cleaned_data["reason"]
        ),
        summary=lambda form: [
            *_payment_summary(payment),
            _row(_("Reason"), form.cleaned_data["reason"]),
        ],
        success=_("The payment request has been rejected."),
        title=_("Reject the payment request"),
        intro=_("The recipient sees the reason and can make a new request."),
        confirm_label=_("Reject now"),
    )


def _payment_summary(payment):
    return [
        _row(_("Payment request"), payment.payment_key),
        _row(_("Recipient"), payment.application.organisation.name),
        _row(_("Amount"), payment.amount, money=True),
        _row(_("Needed by"), _date(payment.needed_by)),
        _row(_("Internal budget transfer"), _("yes") if payment.is_internal else _("no")),
    ]


# --- the office: an approval never used -----------------------------------------------------------
@login_required
def close_unused(request, pk):
    application = _application(request, pk)
    if not rules.may_close_unused(request.user, application.organisation_id):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    return _action(
        request,
        form,
        application=application,
        act=lambda form: use_cases.close_unused_approval(
            application=application, by=request.user, reason=form.cleaned_data["reason"]
        ),
        summary=lambda form: [
            _row(_("Approved amount"), application.approved_amount, money=True),
            _row(_("Project end"), _date(application.end_date)),
            _row(_("Reason"), form.cleaned_data["reason"]),
        ],
        success=_("The approval is closed; its money is free for other projects."),
        back=reverse("applications:detail", args=[application.pk]),
        title=_("Close the unused approval"),
        intro=_(
            "Nothing was requested from this approval and the project has ended. Closing it "
            "releases the whole approved amount. This cannot be undone."
        ),
        confirm_label=_("Close and release"),
    )


# --- the office: a waiver of legal remedy ---------------------------------------------------------
@login_required
def remedy_waiver(request, pk):
    application = _application(request, pk)
    if not has_role(request.user, Role.PROJECT_OFFICE):
        raise PermissionDenied
    item = selectors.approving_item(application)
    if item is None:
        raise Http404
    form = RemedyWaiverForm(request.POST or None)
    return _action(
        request,
        form,
        application=application,
        act=lambda form: round_services.record_remedy_waiver(
            item=item, waived_on=form.cleaned_data["waived_on"], by=request.user
        ),
        summary=lambda form: [
            _row(_("Notice received on"), _date(item.notified_on)),
            _row(_("Legal remedy waived on"), _date(form.cleaned_data["waived_on"])),
        ],
        success=_("The waiver of legal remedy is recorded; the notice is final from that day."),
        back=reverse("applications:detail", args=[application.pk]),
        title=_("Record a waiver of legal remedy"),
        intro=_(
            "Once the applicant has waived legal remedy in writing, the notice is final from "
            "that day and money can be requested before the month for legal action has passed."
        ),
        confirm_label=_("Record the waiver"),
    )


# --- reading ------------------------------------------------------------------------------------
@login_required
def detail(request, pk):
    payment = _payment(request, pk)
    user = request.user
    org = payment.application.organisation_id
    return render(
        request,
        "payments/request_detail.html",
        {
            "payment": payment,
            "application": payment.application,
            "can_certify": payment.state == "requested" and rules.may_certify(user, org),
            "can_order": payment.state == "certified"
            and rules.may_order(user, org, payment.certified_by_id),
            "can_reject": payment.state in ("requested", "certified", "ordered")
            and rules.may_reject(user, org),
            "can_cancel": payment.state in ("requested", "certified")
            and rules.may_cancel(user, payment.application),
        },
    )


@login_required
def request_list(request):
    if not is_staff_reader(request.user):
        raise PermissionDenied
    form = PaymentFilterForm(request.GET or None)
    state = year = None
    if form.is_bound and form.is_valid():
        state = form.cleaned_data["state"] or None
        year = form.cleaned_data["year"]
    queryset = selectors.payment_list(request.user, state=state, fiscal_year=year)
    # The export links (reporting:export_payments) carry the filters, not the page.
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(
        request,
        "payments/request_list.html",
        {
            "form": form,
            "page_obj": page_of(request, queryset),
            "export_query": export_query.urlencode(),
        },
    )


urlpatterns = [
    path("requests/", request_list, name="request_list"),
    path("requests/<int:pk>/", detail, name="request"),
    path("requests/<int:pk>/certify/", certify, name="certify"),
    path("requests/<int:pk>/order/", order, name="order"),
    path("requests/<int:pk>/reject/", reject, name="reject"),
    path("requests/<int:pk>/cancel/", cancel, name="cancel"),
    path("applications/<int:pk>/request/", new, name="new"),
    path("applications/<int:pk>/close-unused/", close_unused, name="close_unused"),
    path("applications/<int:pk>/remedy-waiver/", remedy_waiver, name="remedy_waiver"),
]
