"""policies.dates: the window project dates must lie in (issue 9, defect 7)."""

import datetime

import pytest
from django.utils import translation

from policies.dates import (
    END_BEFORE_START,
    end_before_start_error,
    project_date_errors,
    project_date_window,
)

D = datetime.date


def test_defect_07_the_window_is_the_fiscal_year_minus_one_plus_two_by_default():
    assert project_date_window(2026) == (D(2025, 1, 1), D(2028, 12, 31))


def test_defect_07_the_window_is_configurable(settings):
    settings.FM_PROJECT_DATES_YEARS_BEFORE = 0
    settings.FM_PROJECT_DATES_YEARS_AFTER = 5
    assert project_date_window(2026) == (D(2026, 1, 1), D(2031, 12, 31))


def test_defect_07_the_window_stays_inside_the_calendar(settings):
    settings.FM_PROJECT_DATES_YEARS_AFTER = 10
    assert project_date_window(9995) == (D(9994, 1, 1), D.max)
    assert project_date_window(1) == (D.min, D(11, 12, 31))


@pytest.mark.parametrize(
    ("dates", "fields"),
    [
        pytest.param({"start_date": D(9999, 12, 1)}, ["start_date"], id="far-future"),
        pytest.param({"end_date": D.max}, ["end_date"], id="date-max"),
        pytest.param(
            {"start_date": D.min, "end_date": D.max}, ["start_date", "end_date"], id="both"
        ),
        pytest.param({"start_date": D(2024, 12, 31)}, ["start_date"], id="day-before-the-window"),
        pytest.param({"end_date": D(2029, 1, 1)}, ["end_date"], id="day-after-the-window"),
        pytest.param({"start_date": D(2025, 1, 1), "end_date": D(2028, 12, 31)}, [], id="edges"),
        pytest.param({"start_date": None, "end_date": None}, [], id="empty"),
        pytest.param({}, [], id="missing"),
    ],
)
def test_defect_07_dates_outside_the_window_are_field_errors(dates, fields):
    assert sorted(project_date_errors(dates, fiscal_year=2026)) == sorted(fields)


def test_defect_07_the_message_names_the_window_in_german_and_english():
    with translation.override("de"):
        (message,) = project_date_errors({"start_date": D(9999, 12, 1)}, fiscal_year=2026)[
            "start_date"
        ]
    assert message == (
        "Bitte geben Sie ein Datum zwischen dem 01.01.2025 und dem 31.12.2028 ein: Projekte "
        "des Haushaltsjahres 2026 finden in diesem Zeitraum statt."
    )
    with translation.override("en"):
        (message,) = project_date_errors({"end_date": D(9999, 12, 1)}, fiscal_year=2026)["end_date"]
    assert "01/01/2025" in message
    assert "12/31/2028" in message


# --- end before start (issue 10: one copy of the rule) -----------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        pytest.param(D(2026, 5, 2), D(2026, 5, 1), True, id="a-day-before"),
        pytest.param(D(2026, 5, 1), D(2026, 5, 1), False, id="same-day"),
        pytest.param(D(2026, 5, 1), D(2026, 12, 31), False, id="in-order"),
        pytest.param(None, D(2026, 5, 1), False, id="no-start"),
        pytest.param(D(2026, 5, 1), None, False, id="no-end"),
        pytest.param(None, None, False, id="none"),
    ],
)
def test_end_before_start_is_refused_with_one_message(start, end, refused):
    error = end_before_start_error(start, end)

    assert error == (END_BEFORE_START if refused else None)


def test_end_before_start_speaks_german():
    with translation.override("de"):
        message = str(end_before_start_error(D(2026, 5, 2), D(2026, 5, 1)))

    assert message != "The project cannot end before it starts."
    assert "Projekt" in message
