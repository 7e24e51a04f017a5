"""The statistics journal (issue 13): written with each event in the event's transaction, the
same lines as the history implies (``replay``), append-only, and checked by the ledger check.
The statistics read it; ``detailed`` reads the history itself; both must agree also when an
application changes what it counts under."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from fund_manager.applications import services
from fund_manager.funds.models import FiscalYear
from fund_manager.reporting import journal
from fund_manager.reporting.models import StatisticsEntry
from fund_manager.reporting.statistics import detailed, statistics
from fund_manager.reporting.verification import check
from tests.factories import ActionFieldFactory, ApplicationFactory
from tests.reporting.test_statistics_paths import _figures

pytestmark = pytest.mark.django_db


def _stored():
    return journal.totals()


def test_the_demo_writes_its_journal_with_its_events_and_the_history_agrees(demo_data):
    assert StatisticsEntry.objects.count() > 50
    # Every line names its event: an audit entry of the application or a transfer.
    assert not StatisticsEntry.objects.filter(entry__isnull=True, transfer__isnull=True).exists()
    assert journal.differences() == []


def test_rebuild_writes_the_same_lines_from_the_history(demo_data):
    before = _stored()
    count = journal.rebuild()
    assert count == StatisticsEntry.objects.count()
    assert _stored() == before
    # And the figures read from it still equal the detailed reading.
    years = FiscalYear.objects.all()
    day = datetime.date(2017, 6, 8)
    grouped = _figures(statistics(fiscal_years=years, as_of=day))
    assert grouped == _figures(detailed(fiscal_years=years, as_of=day))


def test_the_journal_is_append_only(demo_data):
    with pytest.raises(TypeError):
        StatisticsEntry.objects.all().update(received=5)
    with pytest.raises(TypeError):
        StatisticsEntry.objects.all().delete()


def test_the_ledger_check_finds_a_line_that_no_event_explains(demo_data):
    assert check().ok
    line = StatisticsEntry.objects.filter(received=1).first()
    StatisticsEntry.objects.create(
        application_id=line.application_id,
        fiscal_year_id=line.fiscal_year_id,
        at=line.at,
        entry_id=line.entry_id,
        action_field=line.action_field,
        organisation_kind=line.organisation_kind,
        target_groups=line.target_groups,
        received=1,
    )

    result = check()

    assert not result.ok
    assert any("Statistik" in problem for problem in result.problems)
    assert journal.differences()[0][0] == line.application_id


def _day(days_ago, hour=10):
    moment = timezone.localtime() - datetime.timedelta(days=days_ago)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_an_application_counts_under_what_it_said_when_it_was_submitted(
    organisation, provider, office
):
    """Submitted under one action field, sent back, changed to another and submitted again:
    until the second submission it counts under the first, from then on under the second; the
    statistics and the detailed reading agree on every day."""
    with time_machine.travel(_day(10), tick=False):
        draft = ApplicationFactory(organisation=organisation, created_by=provider)
        services.submit_application(application=draft, by=provider)
    first = draft.action_field
    second = ActionFieldFactory(fund=draft.fiscal_year.fund)
    with time_machine.travel(_day(8), tick=False):
        services.start_review(application=draft, by=office)
        services.request_changes(application=draft, by=office, note="Bitte anderes Feld.")
        services.update_application(application=draft, by=provider, data={"action_field": second})
    with time_machine.travel(_day(5), tick=False):
        services.submit_application(application=draft, by=provider)

    years = [draft.fiscal_year]
    days = {
        name: (timezone.localdate() - datetime.timedelta(days=n))
        for name, n in (
            ("before", 11),
            ("submitted", 9),
            ("changed", 7),
            ("again", 5),
            ("today", 0),
        )
    }
    for name, day in days.items():
        grouped = statistics(fiscal_years=years, as_of=day)
        assert _figures(grouped) == _figures(detailed(fiscal_years=years, as_of=day)), name
        by_field = {row.code: row.received_count for row in grouped.by_action_field}
        expected = {
            "before": (0, 0),
            "submitted": (1, 0),
            "changed": (1, 0),  # changed, but not submitted yet
            "again": (0, 1),
            "today": (0, 1),
        }[name]
        assert (by_field.get(first.code, 0), by_field.get(second.code, 0)) == expected, name
        assert grouped.received_count == (0 if name == "before" else 1)
    # The move is two lines of the second submission: minus under the first field, plus
    # under the second.
    moved = StatisticsEntry.objects.filter(
        application=draft, entry__action="application.resubmitted"
    )
    assert sorted((line.action_field, line.received) for line in moved) == sorted(
        [(first.code, -1), (second.code, 1)]
    )
    assert journal.differences() == []


def test_a_line_is_written_in_the_transaction_of_its_event(draft, provider):
    """A submission rolled back leaves no line behind; one that stays leaves its lines."""
    before = StatisticsEntry.objects.count()
    inside = []

    def submit_and_fail():
        with transaction.atomic():
            services.submit_application(application=draft, by=provider)
            inside.append(StatisticsEntry.objects.count())
            raise RuntimeError("rolled back after the event")

    with pytest.raises(RuntimeError):
        submit_and_fail()
    assert inside == [before + 1]
    assert StatisticsEntry.objects.count() == before

    services.submit_application(application=draft, by=provider)
    line = StatisticsEntry.objects.get(application=draft)
    assert (line.received, line.entry.action) == (1, "application.submitted")
    assert line.action_field == draft.action_field.code


def test_an_installation_older_than_the_journal_gets_it_written_after_migrate(demo_data):
    """After ``migrate`` (post_migrate): no journal yet but a history -> written from the
    history, the same lines; a journal already there is left as it is."""
    before = _stored()
    StatisticsEntry.objects.all()._raw_delete(StatisticsEntry.objects.db)

    journal.fill_if_missing()

    assert _stored() == before
    count = StatisticsEntry.objects.count()
    journal.fill_if_missing()
    assert StatisticsEntry.objects.count() == count
