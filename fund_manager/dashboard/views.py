"""Each role lands on its own start page (``home`` redirects): what the role needs now, each
page in a constant number of queries (lists cut to the most urgent rows, figures aggregated)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fund_manager.applications.views import next_step
from fund_manager.core.roles import Role, user_roles
from fund_manager.payments.models import PaymentState
from fund_manager.reporting import verification
from fund_manager.reporting.models import VerificationRun
from fund_manager.rounds import schedule
from fund_manager.rounds.documents import can_read_minutes
from workflows import selectors as inbox

from . import selectors

# The first role in this order decides where a user with several roles lands.
START_PAGES = [
    (Role.PROVIDER, "dashboard:provider"),
    (Role.PROJECT_OFFICE, "dashboard:office"),
    (Role.CHAIR, "dashboard:steering"),
    (Role.STEERING_MEMBER, "dashboard:steering"),
    (Role.FINANCE, "dashboard:finance"),
    (Role.AUDITOR, "dashboard:audit"),
]


@login_required
def home(request):
    roles = user_roles(request.user)
    for role, target in START_PAGES:
        if role in roles:
            return redirect(target)
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "dashboard/no_role.html")


def _require(request, *roles):
    if not user_roles(request.user) & set(roles):
        raise PermissionDenied


@login_required
def provider(request):
    _require(request, Role.PROVIDER)
    user = request.user
    applications = selectors.provider_applications(user)
    today = timezone.localdate()
    # At most LIST_LIMIT applications, each with the same next step as its own page; the
    # deciding rounds of all of them read at once.
    rounds = schedule.deciding_rounds(applications.rows, today=today)
    rows = [(a, next_step(user, a, today=today, rounds=rounds)) for a in applications.rows]
    return render(
        request,
        "dashboard/provider.html",
        {
            "applications": applications,
            "rows": rows,
            "reports": selectors.provider_reports_due(user),
            "payments": selectors.provider_payments(user),
            "today": today,
        },
    )


@login_required
def office(request):
    _require(request, Role.PROJECT_OFFICE)
    user = request.user
    mine = inbox.my_tasks(user)
    queue = inbox.queue(user)
    funding_round, items = selectors.next_round()
    return render(
        request,
        "dashboard/office.html",
        {
            "mine": inbox.annotate(mine[: selectors.LIST_LIMIT]),
            "mine_count": mine.count(),
            "queue_count": queue.count(),
            "pipeline": selectors.pipeline(),
            "next_round": funding_round,
            "items": items,
            "overdue_reports": selectors.overdue_reports(),
            "claims": selectors.open_claims(),
            "years": selectors.fiscal_year_overview(),
        },
    )


@login_required
def steering(request):
    _require(request, Role.STEERING_MEMBER, Role.CHAIR)
    funding_round, items = selectors.next_round(user=request.user)
    decided = selectors.last_decided_round(user=request.user)
    return render(
        request,
        "dashboard/steering.html",
        {
            "next_round": funding_round,
            "items": items,
            "decided_round": decided,
            "can_read_minutes": decided is not None and can_read_minutes(request.user, decided),
        },
    )


@login_required
def finance(request):
    _require(request, Role.FINANCE)
    # Waiting and ordered are shown as figures only (one query for both); the exported
    # payments not yet confirmed also as a list.
    figures = selectors.payment_figures((PaymentState.CERTIFIED, PaymentState.ORDERED))
    return render(
        request,
        "dashboard/finance.html",
        {
            "balances": selectors.year_balances(),
            "waiting": figures[PaymentState.CERTIFIED],
            "ordered": figures[PaymentState.ORDERED],
            "unconfirmed": selectors.payments_in(PaymentState.EXPORTED),
            "last_export": selectors.last_export(),
            "claims": selectors.open_claims(),
            "freezes": selectors.active_freezes(),
            "last_run": verification.last_run(),
            "can_verify": request.user.has_perm("reporting.run_verification"),
        },
    )


@login_required
def audit(request):
    if not request.user.has_perm("core.view_audit_trail"):
        raise PermissionDenied
    return render(
        request,
        "dashboard/audit.html",
        {
            "years": selectors.ledger_years(),
            "entries": selectors.latest_audit_entries(),
            "last_run": verification.last_run(),
            "can_verify": request.user.has_perm("reporting.run_verification"),
        },
    )


@login_required
@require_POST
def verify(request):
    """Run the ledger check now and record it ("Jetzt prüfen"); at most once a minute."""
    if not request.user.has_perm("reporting.run_verification"):
        raise PermissionDenied
    back = (
        "dashboard:audit" if request.user.has_perm("core.view_audit_trail") else "dashboard:finance"
    )
    try:
        run = verification.run_verification(by=request.user, trigger=VerificationRun.Trigger.PAGE)
    except verification.TooSoon as error:
        messages.info(
            request,
            _("The ledger was checked at %(time)s; please wait a minute before checking again.")
            % {"time": date_format(timezone.localtime(error.last.started_at), "TIME_FORMAT")},
        )
        return redirect(back)
    if run.ok:
        messages.success(request, _("The ledger check found no problem."))
    else:
        messages.error(
            request,
            _("The ledger check found %(count)s problem(s).") % {"count": len(run.problems)},
        )
    return redirect(back)
