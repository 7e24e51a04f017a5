"""The chair's session pages: prepare (proposals), open, deferral, close, sign the minutes."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fund_manager.core.errors import DomainError, InvalidInput
from workflows import rounds as use_cases

from .. import selectors, services
from ..forms import AttendanceForm, OpenSessionForm, ProposalForm, SignMinutesForm
from ..models import RoundState
from ._common import (
    _at_item,
    _confirm,
    _guard,
    _item,
    _report,
    _run,
    _run_form,
)


# --- the session (chair) ------------------------------------------------------------------------
def _session_page(request, funding_round, access, bound=None):
    rows = selectors.session_rows(funding_round, request.user)
    live = funding_round.state == RoundState.IN_SESSION
    # Proposals are prepared once the agenda is final and may be changed during the session.
    editable = funding_round.state in (RoundState.CLOSED, RoundState.IN_SESSION)
    items = []
    default_type = funding_round.fiscal_year.fund.default_funding_type if editable else None
    for row in rows:
        form = None
        if editable:
            matches = bound is not None and bound.prefix == f"item-{row.item.pk}"
            form = (
                bound
                if matches
                else ProposalForm.for_item(row.item, default_funding_type=default_type)
            )
        items.append((row, form))
    return render(
        request,
        "rounds/session.html",
        {
            "round": funding_round,
            "access": access,
            "rows": items,
            "live": live,
            "prepared": sum(1 for row in rows if row.item.proposed_amount is not None),
            "presence": selectors.presence(funding_round) if live else [],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def session(request, pk):
    funding_round, access = _guard(request, pk, "is_chair")
    return _session_page(request, funding_round, access)


@login_required
def open_session(request, pk):
    """GET asks who is present (the members entitled that day); POST opens the session."""
    funding_round, _access = _guard(request, pk, "is_chair")
    members = selectors.session_day_members(funding_round)
    data = request.POST if request.method == "POST" else None
    form = OpenSessionForm(data, members=members, leader=request.user)
    if request.method == "POST":
        done = _run_form(
            request,
            form,
            lambda data: use_cases.open_session(
                funding_round=funding_round, by=request.user, present=data["present"]
            ),
            success=lambda: _("The session is open; the members can vote now."),
            failed=_("Please correct the marked fields. The session was not opened."),
            back=redirect("rounds:session", pk=pk),
        )
        if done is not None:
            return done
    return render(
        request,
        "rounds/open_session.html",
        {"round": funding_round, "form": form, "today": timezone.localdate()},
    )


@login_required
@require_POST
def attendance(request, pk):
    """The chair records a late arrival or a departure during the session."""
    funding_round, _access = _guard(request, pk, "is_chair")
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a member."))
        return redirect(f"{reverse('rounds:session', args=[pk])}#presence")
    member = get_user_model().objects.filter(pk=form.cleaned_data["member"]).first()
    arrived = form.cleaned_data["change"] == "arrived"
    name = (member.get_full_name() or member.username) if member else ""
    if member is None:
        messages.error(request, _("This person is not entitled to vote in this session."))
    else:
        try:
            services.record_attendance(
                funding_round=funding_round, member=member, arrived=arrived, by=request.user
            )
        except InvalidInput as error:
            for field_errors in error.fields.values():
                for message in field_errors:
                    messages.error(request, str(message))
        except DomainError as error:
            _report(request, error)
        else:
            text = (
                _("%(name)s is recorded as present from now on.")
                if arrived
                else _("%(name)s is recorded as having left the session.")
            )
            messages.success(request, text % {"name": name})
    return redirect(f"{reverse('rounds:session', args=[pk])}#presence")


@login_required
@require_POST
def proposal(request, pk, item_pk):
    funding_round, access = _guard(request, pk, "is_chair")
    item = _item(funding_round, item_pk)
    form = ProposalForm.for_item(item, request.POST)
    done = _run_form(
        request,
        form,
        lambda data: services.set_proposal(
            item=item,
            amount=data["amount"],
            conditions=data["conditions"],
            funding_type=data["funding_type"],
            by=request.user,
        ),
        success=lambda: _("The proposal for item %(position)s has been saved.")
        % {"position": item.position},
        failed=_("Please correct the marked fields. The proposal was not saved."),
        back=_at_item("rounds:session", funding_round, item),
    )
    if done is not None:
        return done
    return _session_page(request, funding_round, access, bound=form)


@login_required
def defer(request, pk, item_pk):
    funding_round, _access = _guard(request, pk, "is_chair")
    item = _item(funding_round, item_pk)
    if request.method == "POST":
        _run(
            request,
            lambda: services.defer_item(item=item, by=request.user),
            _("Item %(position)s will be deferred to the next round when the session closes.")
            % {"position": item.position},
        )
        return _at_item("rounds:session", funding_round, item)
    return _confirm(
        request,
        title=_("Defer item %(position)s") % {"position": item.position},
        text=_(
            "“%(title)s” (%(reference)s) will not be decided in this session; it goes back to "
            "the project office for the next round. This cannot be undone in this session."
        )
        % {"title": item.application.title, "reference": item.application.reference},
        button=_("Defer the item"),
        cancel=reverse("rounds:session", args=[pk]),
        danger=True,
    )


@login_required
def close_session(request, pk):
    """GET shows the outcomes as they would be decided now; POST with ``confirm`` decides."""
    funding_round, _access = _guard(request, pk, "is_chair")
    shortfalls = []
    if request.method == "POST":
        try:
            use_cases.close_session(funding_round=funding_round, by=request.user)
        except services.FundingShortfall as error:
            shortfalls = selectors.shortfall_rows(funding_round, error.shortfalls)
            messages.error(
                request,
                _("The approvals exceed the available funds. Nothing was booked or decided."),
            )
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(request, _("The session is closed and every item is decided."))
            return redirect("rounds:session", pk=pk)
    rows = selectors.session_rows(funding_round)
    return render(
        request,
        "rounds/close_session.html",
        {
            "round": funding_round,
            "rows": rows,
            "fields": selectors.funds_check(funding_round, selectors.approvals(rows)),
            "shortfalls": shortfalls,
            "open": funding_round.state == RoundState.IN_SESSION,
        },
    )


@login_required
def sign_minutes(request, pk):
    """GET shows what is signed and asks who kept the minutes; POST signs (decided → minuted)."""
    funding_round, access = _guard(request, pk, "is_chair")
    form = SignMinutesForm(
        request.POST or None, initial={"minute_taker": funding_round.minute_taker}
    )
    if request.method == "POST":
        done = _run_form(
            request,
            form,
            lambda data: use_cases.sign_minutes(
                funding_round=funding_round, minute_taker=data["minute_taker"], by=request.user
            ),
            success=lambda: _("The minutes are signed; the round is complete."),
            failed=_("Please correct the marked fields. The minutes were not signed."),
            back=redirect("rounds:session", pk=pk),
        )
        if done is not None:
            return done
    return render(
        request,
        "rounds/sign_minutes.html",
        {
            "round": funding_round,
            "access": access,
            "form": form,
            "rows": selectors.session_rows(funding_round),
            "can_sign": funding_round.state == RoundState.DECIDED,
        },
    )
