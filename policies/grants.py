"""Time rules of a revocation, as pure functions (tested as tables).

A lawful grant may be revoked for the past only within one year of the day the authority
learned the facts that justify it (§ 49 Abs. 3 Satz 2 with § 48 Abs. 4 VwVfG NRW). The year is
counted like every period of the BGB (§§ 187 Abs. 1, 188 Abs. 2 and 3): learned on 10 March,
the last day is 10 March of the next year; learned on 29 February, it is 28 February.
"""

import datetime
from dataclasses import dataclass

from .periods import add_months

# The service warns when fewer days than this remain of the year (a hearing with its deadline
# and the decision take two to four weeks).
WARN_DAYS = 28
# The default deadline for the applicant's response to the hearing (§ 28 VwVfG: "Gelegenheit
# zur Äußerung", two weeks is the usual appropriate period).
DEFAULT_RESPONSE_DAYS = 14
# Shorter than a week is not an appropriate period for a written response.
MIN_RESPONSE_DAYS = 7


def last_day_to_decide(known_on: datetime.date) -> datetime.date:
    """The last day on which the revocation may be decided."""
    return add_months(known_on, 12)


@dataclass(frozen=True)
class TimeLimit:
    last_day: datetime.date
    days_left: int  # days after today up to and including the last day; negative once passed

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def warning(self) -> bool:
        return not self.expired and self.days_left < WARN_DAYS


def time_limit(known_on: datetime.date, today: datetime.date) -> TimeLimit:
    last = last_day_to_decide(known_on)
    return TimeLimit(last_day=last, days_left=(last - today).days)


def default_response_due(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=DEFAULT_RESPONSE_DAYS)


def may_decide(*, response_due: datetime.date, responded: bool, today: datetime.date) -> bool:
    """The hearing is over once the applicant responded or the deadline has passed."""
    return responded or today > response_due
