"""Rules of a payment request (Mittelabruf), as pure functions over dates, amounts and users.

- Finality: the notice is final (bestandskräftig) once the month for legal action after its
  notification has passed (§ 74 VwGO; counted as §§ 187 para. 1, 188 para. 2 BGB count: notified
  on 15 March, the month ends at the end of 15 April, payable from 16 April), or from the day the
  applicant waived legal remedy in writing. Without a recorded notification nothing is payable.
- Need: a request only for money needed within the next two months (ANBest-P no. 1.4).
- Amount: at most the approved amount less every request that still counts (open or paid).
- Separation of duties (KomHVO NRW § 31, "Vier-Augen-Prinzip"): the project office certifies
  (sachlich richtig), finance orders (Anordnung); the one who certified never orders, and
  nobody acts on a payment to an organisation they belong to. The release itself happens in
  the city's finance system.
"""

import datetime
from decimal import Decimal

from fund_manager.core.money import ZERO, quantize
from fund_manager.core.roles import Role, has_role

from .access import is_member, is_provider_of
from .periods import add_months

# The month for legal action (Klagefrist, § 74 Abs. 1 Satz 2 VwGO).
LEGAL_REMEDY_MONTHS = 1
# ANBest-P no. 1.4: money is requested only as far as it is needed within two months.
NEED_WINDOW_MONTHS = 2


# --- finality ---------------------------------------------------------------------------------
def remedy_period_end(notified_on: datetime.date) -> datetime.date:
    """The last day of the month for legal action after the notification."""
    return add_months(notified_on, LEGAL_REMEDY_MONTHS)


def payable_from(
    notified_on: datetime.date | None, remedy_waived_on: datetime.date | None = None
) -> datetime.date | None:
    """The first day on which money of the approval may be requested, or None while the
    notification is not recorded (then nothing is payable)."""
    if notified_on is None:
        return None
    final = remedy_period_end(notified_on) + datetime.timedelta(days=1)
    if remedy_waived_on is not None:
        return min(final, remedy_waived_on)
    return final


def is_final(
    notified_on: datetime.date | None,
    remedy_waived_on: datetime.date | None,
    today: datetime.date,
) -> bool:
    first = payable_from(notified_on, remedy_waived_on)
    return first is not None and today >= first


# --- need and amount ----------------------------------------------------------------------------
def latest_needed_by(today: datetime.date) -> datetime.date:
    """The latest day a requested amount may be needed by: two months ahead."""
    return add_months(today, NEED_WINDOW_MONTHS)


def needed_by_problem(needed_by: datetime.date | None, today: datetime.date) -> str | None:
    """'missing', 'past', 'too_late' or None when ``needed_by`` is acceptable."""
    if needed_by is None:
        return "missing"
    if needed_by < today:
        return "past"
    if needed_by > latest_needed_by(today):
        return "too_late"
    return None


def remaining(approved: Decimal | None, counted: Decimal | None) -> Decimal:
    """What may still be requested: the approved amount less what counts already, never < 0."""
    left = quantize(approved or ZERO) - quantize(counted or ZERO)
    return left if left > ZERO else ZERO


# --- separation of duties ---------------------------------------------------------------------
def may_request(user, application) -> bool:
    """A provider of the recipient organisation with the permission to request payments."""
    return is_provider_of(user, application) and user.has_perm("payments.request_payment")


def may_cancel(user, application) -> bool:
    """The recipient withdraws its own request."""
    return is_provider_of(user, application)


def may_certify(user, organisation_id) -> bool:
    """The project office, never for an organisation it belongs to."""
    return (
        has_role(user, Role.PROJECT_OFFICE)
        and user.has_perm("payments.certify_payment")
        and not is_member(user, organisation_id)
    )


def may_order(user, organisation_id, certified_by_id) -> bool:
    """Finance, never the person who certified, never a member of the recipient."""
    return (
        has_role(user, Role.FINANCE)
        and user.has_perm("payments.order_payment")
        and not is_member(user, organisation_id)
        and getattr(user, "pk", None) != certified_by_id
    )


def may_reject(user, organisation_id) -> bool:
    """The project office or finance, never for an organisation they belong to."""
    return (has_role(user, Role.PROJECT_OFFICE) or has_role(user, Role.FINANCE)) and not is_member(
        user, organisation_id
    )


def may_close_unused(user, organisation_id) -> bool:
    """The project office closes an unused approval, never for its own organisation."""
    return has_role(user, Role.PROJECT_OFFICE) and not is_member(user, organisation_id)
