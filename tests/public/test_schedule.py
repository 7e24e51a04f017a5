"""rounds.schedule: which round decides an application, the next deadline (issue 12, item 4)."""

import datetime

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.rounds import schedule
from fund_manager.rounds.models import AgendaItem, FundingRound, ItemState, RoundState
from tests.factories import ApplicationFactory, FiscalYearFactory, force_state

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def day(offset):
    return TODAY + datetime.timedelta(days=offset)


def make_round(year, number, deadline, session, state):
    funding_round = FundingRound.objects.create(
        fiscal_year=year,
        number=number,
        submission_deadline=day(deadline),
        session_date=day(session),
    )
    FundingRound.objects.filter(pk=funding_round.pk).update(state=state)
    funding_round.refresh_from_db()
    return funding_round


@pytest.fixture
def year_rounds():
    """Round 1 closed (deadline 10 days ago, session in 3 days), round 2 cancelled (deadline in 5
    days), round 3 open (deadline in 10 days), round 4 planned (deadline in 40 days)."""
    year = FiscalYearFactory()
    return {
        "year": year,
        1: make_round(year, 1, -10, 3, RoundState.CLOSED),
        2: make_round(year, 2, 5, 8, RoundState.CANCELLED),
        3: make_round(year, 3, 10, 20, RoundState.OPEN),
        4: make_round(year, 4, 40, 50, RoundState.PLANNED),
    }


def in_state(year, state, submitted_days_ago=None):
    application = force_state(ApplicationFactory(fiscal_year=year), state)
    if submitted_days_ago is not None:
        submitted_at = timezone.now() - datetime.timedelta(days=submitted_days_ago)
        Application.objects.filter(pk=application.pk).update(submitted_at=submitted_at)
        application.refresh_from_db()
    return application


def test_a_draft_is_told_the_next_deadline_still_open_today(year_rounds):
    draft = in_state(year_rounds["year"], State.DRAFT)
    deciding = schedule.deciding_round(draft)
    # Round 1's deadline passed, round 2 is cancelled: round 3.
    assert deciding.round == year_rounds[3]
    assert deciding.kind == schedule.Kind.NEXT_DEADLINE
    assert deciding.submission_deadline == day(10)
    assert deciding.session_date == day(20)


def test_a_submitted_application_counts_from_its_submission(year_rounds):
    submitted = in_state(year_rounds["year"], State.SUBMITTED, submitted_days_ago=20)
    # Round 1's deadline was met, but round 1 is closed (takes no more applications): round 3.
    assert schedule.deciding_round(submitted).round == year_rounds[3]
    FundingRound.objects.filter(pk=year_rounds[1].pk).update(state=RoundState.OPEN)
    deciding = schedule.deciding_round(submitted)
    assert deciding.round == year_rounds[1]
    assert deciding.kind == schedule.Kind.EXPECTED


def test_an_application_submitted_after_the_last_deadline_has_no_round(year_rounds):
    late = in_state(year_rounds["year"], State.ELIGIBLE, submitted_days_ago=0)
    FundingRound.objects.filter(pk__in=[year_rounds[3].pk, year_rounds[4].pk]).update(
        state=RoundState.CANCELLED
    )
    assert schedule.deciding_round(late) is None


@pytest.mark.parametrize("state", [State.IN_REVIEW, State.ELIGIBLE])
def test_in_review_and_eligible_wait_for_the_next_round_they_met(year_rounds, state):
    application = in_state(year_rounds["year"], state, submitted_days_ago=1)
    assert schedule.deciding_round(application).round == year_rounds[3]


def test_on_an_agenda_the_agenda_decides(year_rounds):
    scheduled = in_state(year_rounds["year"], State.SCHEDULED, submitted_days_ago=20)
    AgendaItem.objects.create(round=year_rounds[1], application=scheduled, position=1)
    deciding = schedule.deciding_round(scheduled)
    assert deciding.round == year_rounds[1]
    assert deciding.kind == schedule.Kind.ON_AGENDA
    assert deciding.session_date == day(3)


def test_a_decided_item_names_the_round_that_decided(year_rounds):
    rejected = in_state(year_rounds["year"], State.REJECTED, submitted_days_ago=20)
    AgendaItem.objects.create(
        round=year_rounds[1], application=rejected, position=1, state=ItemState.REJECTED
    )
    FundingRound.objects.filter(pk=year_rounds[1].pk).update(state=RoundState.DECIDED)
    deciding = schedule.deciding_round(rejected)
    assert deciding.round == year_rounds[1]
    assert deciding.decided


def test_a_deferred_item_is_decided_by_the_following_round(year_rounds):
    deferred = in_state(year_rounds["year"], State.DEFERRED, submitted_days_ago=20)
    AgendaItem.objects.create(
        round=year_rounds[1], application=deferred, position=1, state=ItemState.DEFERRED
    )
    deciding = schedule.deciding_round(deferred)
    # Round 2 is cancelled: round 3 follows.
    assert deciding.round == year_rounds[3]
    assert deciding.kind == schedule.Kind.DEFERRED
    assert deciding.deferred_from == year_rounds[1]
    # Once it is on the later round's agenda, that item decides.
    AgendaItem.objects.create(round=year_rounds[4], application=deferred, position=1)
    deciding = schedule.deciding_round(deferred)
    assert deciding.round == year_rounds[4]
    assert deciding.kind == schedule.Kind.ON_AGENDA


def test_withdrawn_or_ineligible_without_agenda_has_no_round(year_rounds):
    for state in (State.WITHDRAWN, State.INELIGIBLE):
        assert schedule.deciding_round(in_state(year_rounds["year"], state, 20)) is None


def test_the_list_helper_needs_two_queries_however_long_the_list(
    year_rounds, django_assert_num_queries
):
    year = year_rounds["year"]
    few = [in_state(year, State.DRAFT)]
    many = [
        in_state(year, state, submitted_days_ago=20)
        for state in (State.SUBMITTED, State.ELIGIBLE, State.SCHEDULED, State.DEFERRED)
    ] * 3 + [in_state(year, State.DRAFT) for _ in range(5)]
    AgendaItem.objects.create(round=year_rounds[1], application=many[2], position=1)
    AgendaItem.objects.create(
        round=year_rounds[1], application=many[3], position=2, state=ItemState.DEFERRED
    )
    with django_assert_num_queries(2):
        schedule.deciding_rounds(few)
    with django_assert_num_queries(2):
        result = schedule.deciding_rounds(many)
    assert result[many[2].pk].kind == schedule.Kind.ON_AGENDA
    assert result[many[3].pk].kind == schedule.Kind.DEFERRED
    assert result[many[-1].pk].kind == schedule.Kind.NEXT_DEADLINE


def test_the_template_include_costs_two_queries_for_a_whole_list(
    year_rounds, django_assert_num_queries
):
    year = year_rounds["year"]
    for _ in range(6):
        in_state(year, State.SUBMITTED, submitted_days_ago=1)
    applications = list(Application.objects.order_by("pk"))
    template = Template(
        '{% for application in applications %}{% include "applications/_deciding_round.html" %}'
        "{% endfor %}"
    )
    request = RequestFactory().get("/")
    with django_assert_num_queries(2):
        html = template.render(RequestContext(request, {"applications": applications}))
    label = str(year_rounds[3])
    assert html.count(f"Förderrunde {label} am {day(20):%d.%m.%Y}") == 6
    assert f"Einreichungsfrist {day(10):%d.%m.%Y}" in html


def test_the_include_words_each_case(year_rounds):
    year = year_rounds["year"]
    draft = in_state(year, State.DRAFT)
    scheduled = in_state(year, State.SCHEDULED, submitted_days_ago=20)
    AgendaItem.objects.create(round=year_rounds[1], application=scheduled, position=1)
    template = Template('{% include "applications/_deciding_round.html" %}')

    def render(application):
        return template.render(Context({"application": application}))

    label1, label3 = str(year_rounds[1]), str(year_rounds[3])
    assert (
        f"Nächste Einreichungsfrist: {day(10):%d.%m.%Y} (Förderrunde {label3}, "
        f"Sitzung am {day(20):%d.%m.%Y})"
    ) in render(draft)
    assert (
        f"Entscheidung in Förderrunde {label1} am {day(3):%d.%m.%Y} "
        f"(Einreichungsfrist {day(-10):%d.%m.%Y})"
    ) in render(scheduled)
    withdrawn = in_state(year, State.WITHDRAWN)
    assert render(withdrawn).strip() == ""


def test_next_open_round_skips_cancelled_and_closed_rounds(year_rounds):
    fund = year_rounds["year"].fund
    assert schedule.next_open_round(fund) == year_rounds[3]
    assert schedule.next_open_rounds() == [year_rounds[3]]
    assert schedule.next_open_round(fund, today=day(11)) == year_rounds[4]
    assert schedule.next_open_round(fund, today=day(41)) is None


def test_year_overview_marks_past_next_and_cancelled(year_rounds):
    (entry,) = schedule.year_overview(year_rounds["year"].year)
    rows = {row.round.number: row for row in entry.rows}
    assert entry.next_round == year_rounds[3]
    assert rows[3].is_next
    assert not rows[4].is_next
    assert rows[2].cancelled
    assert rows[1].deadline_passed
    assert not rows[1].is_past
    assert not rows[4].deadline_passed


def test_next_round_include_shows_deadline_and_session(year_rounds):
    html = Template('{% include "applications/_next_round.html" %}').render(
        RequestContext(RequestFactory().get("/"), {})
    )
    assert f"bis zum {day(10):%d.%m.%Y} ein" in html
    assert f"Förderrunde {year_rounds[3]} am {day(20):%d.%m.%Y}" in html
    assert 'href="/foerderung/"' in html


def test_next_round_include_without_open_round():
    html = Template('{% include "applications/_next_round.html" %}').render(Context({}))
    assert "Zurzeit nimmt keine Förderrunde Anträge an." in html
