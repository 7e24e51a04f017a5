"""Months and periods of the guideline, computed as BGB §§ 187, 188 count them.

Pure and total: the rules (``policies.rules``) call these with every date they can receive.
"""

import calendar
import datetime

# The rules compute with (year, month, day) tuples, which may lie outside what ``datetime.date``
# can hold (a period starting on 1.12.9999 ends in the year 10000). Tuples compare like dates,
# so the rules are total over every date they can receive (issue 9, defect 7); the public
# helpers return dates and stop at the calendar's ends (date.min, date.max).
Day = tuple[int, int, int]


def ymd(day: datetime.date) -> Day:
    return (day.year, day.month, day.day)


def _month_days(year: int, month: int) -> int:
    # calendar.monthrange works for every year, also 0 and 10000 (it maps them into range).
    return calendar.monthrange(year, month)[1]


def _shift_month(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def _as_date(day: Day) -> datetime.date:
    if day > ymd(datetime.date.max):
        return datetime.date.max
    if day < ymd(datetime.date.min):
        return datetime.date.min
    return datetime.date(*day)


def _add_months(day: datetime.date, count: int) -> Day:
    year, month = _shift_month(day.year, day.month, count)
    return (year, month, min(day.day, _month_days(year, month)))


def period_end_day(start: datetime.date, count: int) -> Day:
    if start.day == 1:
        # The day before the 1st ``count`` months later: the last day of the month before.
        year, month = _shift_month(start.year, start.month, count - 1)
        return (year, month, _month_days(year, month))
    year, month = _shift_month(start.year, start.month, count)
    return (year, month, min(start.day - 1, _month_days(year, month)))


def latest_end_day(fiscal_year: int, months_after: int) -> Day:
    year, month = _shift_month(fiscal_year, 12, months_after)
    return (year, month, _month_days(year, month))


def add_months(day: datetime.date, count: int) -> datetime.date:
    """The same day ``count`` months later; a missing day becomes the month's last (31.1. + 1 ->
    28./29.2.). Past 31.12.9999 the answer is 31.12.9999."""
    return _as_date(_add_months(day, count))


def period_end(start: datetime.date, count: int) -> datetime.date:
    """Last day of a period of ``count`` months that begins on ``start`` (BGB §§ 187 para. 2,
    188 para. 2 and 3): 01.03. + 12 months -> 28.02. of the next year; 15.01. -> 14.01.;
    31.01. + 1 month -> 28./29.02. Clamped to the calendar's ends like ``add_months``."""
    return _as_date(period_end_day(start, count))


def latest_end(fiscal_year: int, months_after: int) -> datetime.date:
    """Last day of the month ``months_after`` months after the fiscal (= calendar) year."""
    return _as_date(latest_end_day(fiscal_year, months_after))
