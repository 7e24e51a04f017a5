"""The rounds of a year and their agendas: the lists of the round pages and the API, what
waits for an agenda, and the rounds whose submission deadline has passed."""

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.applications.selectors import applications_visible_to
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.roles import Role, has_role
from fund_manager.funds.models import FiscalYear

from ..models import AgendaItem, FundingRound, ItemState, Recusal, RoundState, SteeringMember, Vote

# The agenda stays open to additions while the round is open (rounds.services.add_to_agenda).
WAITING_STATES = (State.ELIGIBLE, State.DEFERRED)


# --- lists -------------------------------------------------------------------------------------
def visible_years(user):
    """The fiscal years whose rounds the user sees: all for the project office, the years of
    the funds whose steering group the user sits in for its members."""
    years = FiscalYear.objects.select_related("fund").order_by("-year", "fund__name")
    if has_role(user, Role.PROJECT_OFFICE):
        return years
    funds = SteeringMember.objects.filter(user=user).values("group__fund_id")
    return years.filter(fund_id__in=funds)


def rounds_by_year(years):
    """``[(year, [round, ...]), ...]`` with each round's number of agenda items."""
    rounds = (
        FundingRound.objects.filter(fiscal_year__in=years)
        .annotate(
            item_count=Count("items"),
            open_count=Count("items", filter=Q(items__state=ItemState.PENDING)),
        )
        .order_by("number")
    )
    grouped = {}
    for funding_round in rounds:
        grouped.setdefault(funding_round.fiscal_year_id, []).append(funding_round)
    return [(year, grouped.get(year.pk, [])) for year in years]


def agenda(funding_round):
    return funding_round.items.select_related(
        "application__organisation", "application__action_field"
    ).order_by("position", "id")


def waiting_applications(funding_round):
    """Eligible and deferred applications of the round's year that are not on its agenda."""
    return (
        Application.objects.filter(
            fiscal_year_id=funding_round.fiscal_year_id, state__in=WAITING_STATES
        )
        .exclude(agenda_items__round=funding_round)
        .select_related("organisation", "action_field")
        .order_by("submitted_at", "id")
    )


def other_open_rounds(funding_round):
    return FundingRound.objects.filter(
        fiscal_year_id=funding_round.fiscal_year_id, state=RoundState.OPEN
    ).exclude(pk=funding_round.pk)


def due_for_closing(today=None):
    """The open rounds whose submission deadline has passed (before ``today``): the deadline
    job closes them (``workflows.rounds.close_due_rounds``)."""
    today = today or timezone.localdate()
    return FundingRound.objects.filter(
        state=RoundState.OPEN, submission_deadline__lt=today
    ).order_by("pk")


# --- the API's agenda ---------------------------------------------------------------------------
def visible_agenda_items(user):
    """The agenda items ``user`` may see (those of the applications the user may see), with
    the vote counts and the user's own vote and recusal."""
    mine = {"item": OuterRef("pk"), "member": user.pk}
    return (
        AgendaItem.objects.filter(application__in=applications_visible_to(user))
        .select_related("application", "round")
        .annotate(
            votes_yes=Count("votes", filter=Q(votes__choice=Vote.Choice.YES)),
            votes_no=Count("votes", filter=Q(votes__choice=Vote.Choice.NO)),
            votes_abstain=Count("votes", filter=Q(votes__choice=Vote.Choice.ABSTAIN)),
            my_vote=Subquery(Vote.objects.filter(**mine).values("choice")[:1]),
            my_recusal=Exists(Recusal.objects.filter(**mine)),
        )
        .order_by("round", "position", "id")
    )


def decisions(funding_round) -> dict:
    """A decided round's decisions: every item (the approved amount on the approvals) and the
    total committed."""
    items = list(
        funding_round.items.select_related("application")
        .annotate(
            approved_amount=Case(
                When(state=ItemState.APPROVED, then=F("proposed_amount")), default=None
            )
        )
        .order_by("position", "id")
    )
    return {
        "id": funding_round.pk,
        "closed_at": funding_round.closed_at,
        "committed_total": sum((quantize(i.approved_amount) for i in items), ZERO),
        "decisions": items,
    }
