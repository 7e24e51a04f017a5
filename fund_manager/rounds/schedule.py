"""When things happen: the rounds of a year, the next submission deadline, and which round will
decide (or decided) an application (issue 12, "deadlines in sight").

Reads only; no interface imports. ``deciding_rounds`` answers for a whole list of applications
with two queries, whatever the list's length (the provider's list and start page use it through
``rounds.templatetags.schedule_tags``).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from fund_manager.applications.models import State
from fund_manager.funds.models import FiscalYear

from .models import DECIDED_STATES, AgendaItem, FundingRound, ItemState, RoundState

# A round that still takes applications: planned (its opening collects the waiting ones) or open.
TAKES_SUBMISSIONS = (RoundState.PLANNED, RoundState.OPEN)
# Submitted and waiting for the office's check or a round: the deadline counts from the
# submission (rounds.services.planning.open_round collects them by submitted_at).
WAITING_SUBMITTED = (State.SUBMITTED, State.IN_REVIEW, State.ELIGIBLE, State.DEFERRED)
# Still in the provider's hands: the next deadline counts from today.
IN_PREPARATION = (State.DRAFT, State.CHANGES_REQUESTED)


class Kind:
    """How an application relates to its deciding round."""

    DECIDED = "decided"  # on the agenda of a round that has decided
    ON_AGENDA = "on_agenda"  # on the agenda of a round still to meet
    DEFERRED = "deferred"  # deferred; the following round of the year will decide
    EXPECTED = "expected"  # submitted, not on an agenda yet: the next round whose deadline it met
    NEXT_DEADLINE = "next_deadline"  # not submitted yet: the next round open for submissions


@dataclass(frozen=True)
class DecidingRound:
    round: FundingRound
    kind: str
    deferred_from: FundingRound | None = None

    @property
    def decided(self):
        return self.kind == Kind.DECIDED

    @property
    def label(self):
        return str(self.round)

    @property
    def session_date(self):
        return self.round.session_date

    @property
    def submission_deadline(self):
        return self.round.submission_deadline


@dataclass(frozen=True)
class RoundRow:
    """A round on the public overview."""

    round: FundingRound
    is_past: bool  # its session lies before today (or it has decided)
    deadline_passed: bool  # its submission deadline lies before today (or it takes no more)
    is_next: bool  # the next deadline still open for submissions
    cancelled: bool

    @property
    def label(self):
        return str(self.round)


@dataclass(frozen=True)
class FundYear:
    """A fund's fiscal year with its rounds, for the public page."""

    fiscal_year: FiscalYear
    rows: list
    next_round: FundingRound | None

    @property
    def fund(self):
        return self.fiscal_year.fund

    @property
    def budget(self):
        return self.fiscal_year.budget


def _today(today):
    return today or timezone.localdate()


def rounds_of_year(fiscal_year):
    """The rounds of a fiscal year in their order (cancelled ones included)."""
    return list(
        FundingRound.objects.filter(fiscal_year=fiscal_year)
        .select_related("fiscal_year__fund")
        .order_by("number")
    )


def _takes_submissions(funding_round, on_day):
    return funding_round.state in TAKES_SUBMISSIONS and funding_round.submission_deadline >= on_day


def _first(rounds, predicate):
    for funding_round in sorted(rounds, key=lambda r: (r.submission_deadline, r.number)):
        if predicate(funding_round):
            return funding_round
    return None


def next_open_round(fund, *, today=None):
    """The fund's next round still open for submissions (deadline today or later, neither
    cancelled nor closed), over all its open fiscal years; None when none is planned."""
    today = _today(today)
    return (
        FundingRound.objects.filter(
            fiscal_year__fund=fund,
            state__in=TAKES_SUBMISSIONS,
            submission_deadline__gte=today,
        )
        .select_related("fiscal_year__fund")
        .order_by("submission_deadline", "number")
        .first()
    )


def next_open_rounds(*, today=None):
    """The next round open for submissions of every fund that has one (one query)."""
    today = _today(today)
    rounds = (
        FundingRound.objects.filter(state__in=TAKES_SUBMISSIONS, submission_deadline__gte=today)
        .select_related("fiscal_year__fund")
        .order_by("submission_deadline", "number")
    )
    first_per_fund = {}
    for funding_round in rounds:
        first_per_fund.setdefault(funding_round.fiscal_year.fund_id, funding_round)
    return list(first_per_fund.values())


def year_overview(year=None, *, today=None):
    """Every fund with a fiscal year ``year`` (default: this year) and its rounds, each marked
    past / next / cancelled (two queries)."""
    today = _today(today)
    year = year or today.year
    fiscal_years = (
        FiscalYear.objects.filter(year=year)
        .select_related("fund")
        .prefetch_related(
            Prefetch(
                "rounds",
                queryset=FundingRound.objects.order_by("number"),
                to_attr="ordered_rounds",
            )
        )
        .order_by("fund__name")
    )
    overview = []
    for fiscal_year in fiscal_years:
        rounds = fiscal_year.ordered_rounds
        for funding_round in rounds:
            funding_round.fiscal_year = fiscal_year  # no query for str(round)
        next_round = _first(rounds, lambda r: _takes_submissions(r, today))
        rows = [
            RoundRow(
                round=r,
                is_past=r.session_date < today or r.state in DECIDED_STATES,
                deadline_passed=r.submission_deadline < today or r.state not in TAKES_SUBMISSIONS,
                is_next=next_round is not None and r.pk == next_round.pk,
                cancelled=r.state == RoundState.CANCELLED,
            )
            for r in rounds
        ]
        overview.append(FundYear(fiscal_year=fiscal_year, rows=rows, next_round=next_round))
    return overview


def deciding_round(application, *, today=None):
    """The round that will decide (or decided) ``application``, and how it knows (see Kind);
    None when no round is in sight (e.g. no round left this year, or withdrawn before)."""
    return deciding_rounds([application], today=today).get(application.pk)


def deciding_rounds(applications, *, today=None):
    """``{application.pk: DecidingRound | None}`` for many applications, in two queries.

    - On an agenda: the round of its latest agenda item (decided or still to meet). A deferred
      item that has no later item yet: the following round of its year still taking submissions.
    - Submitted, in review, eligible (not on an agenda): the first round of its year still
      taking submissions whose deadline is on or after the day of submission.
    - Draft, changes requested: the first round of its year still taking submissions today.
    - Otherwise (ineligible, withdrawn before a round ...): None.
    """
    today = _today(today)
    applications = [a for a in applications if a is not None and a.pk is not None]
    if not applications:
        return {}
    ids = [a.pk for a in applications]
    year_ids = {a.fiscal_year_id for a in applications}

    rounds_by_year = defaultdict(list)
    for funding_round in (
        FundingRound.objects.filter(fiscal_year_id__in=year_ids)
        .select_related("fiscal_year")
        .order_by("number")
    ):
        rounds_by_year[funding_round.fiscal_year_id].append(funding_round)
    round_by_id = {r.pk: r for rounds in rounds_by_year.values() for r in rounds}

    latest_item = {}
    for item in AgendaItem.objects.filter(application_id__in=ids).only(
        "id", "application_id", "round_id", "state"
    ):
        funding_round = round_by_id.get(item.round_id)
        if funding_round is None:  # another year's round (not expected): fetch it alone
            funding_round = FundingRound.objects.select_related("fiscal_year").get(pk=item.round_id)
            round_by_id[funding_round.pk] = funding_round
        item.round = funding_round
        current = latest_item.get(item.application_id)
        if current is None or (funding_round.session_date, funding_round.number) > (
            current.round.session_date,
            current.round.number,
        ):
            latest_item[item.application_id] = item

    result = {}
    for application in applications:
        rounds = rounds_by_year.get(application.fiscal_year_id, [])
        item = latest_item.get(application.pk)
        result[application.pk] = _decide(application, item, rounds, today)
    return result


def _decide(application, item, rounds, today):
    if item is not None:
        funding_round = item.round
        if item.state == ItemState.DEFERRED:
            following = _first(
                rounds,
                lambda r: r.number > funding_round.number and r.state in TAKES_SUBMISSIONS,
            )
            if following is None:
                return None
            return DecidingRound(following, Kind.DEFERRED, deferred_from=funding_round)
        if funding_round.state in DECIDED_STATES or item.state != ItemState.PENDING:
            return DecidingRound(funding_round, Kind.DECIDED)
        return DecidingRound(funding_round, Kind.ON_AGENDA)
    if application.state in WAITING_SUBMITTED and application.submitted_at:
        submitted_on = timezone.localdate(application.submitted_at)
        funding_round = _first(rounds, lambda r: _takes_submissions(r, submitted_on))
        return DecidingRound(funding_round, Kind.EXPECTED) if funding_round else None
    if application.state in IN_PREPARATION:
        funding_round = _first(rounds, lambda r: _takes_submissions(r, today))
        return DecidingRound(funding_round, Kind.NEXT_DEADLINE) if funding_round else None
    return None
