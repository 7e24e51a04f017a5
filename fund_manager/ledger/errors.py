from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import DomainError


class LedgerError(DomainError):
    """A booking was refused; nothing was posted."""

    default_code = "ledger_error"


class InsufficientFunds(LedgerError):
    default_code = "insufficient_funds"
    default_message = _(
        "Not enough money on “%(account)s”: %(shortfall)s EUR are missing. Nothing was booked."
    )

    def __init__(self, message=None, *, shortfall, account, **kwargs):
        self.shortfall = shortfall
        self.account = account
        super().__init__(message, **kwargs)


class IdempotencyConflict(LedgerError):
    default_code = "idempotency_conflict"
    default_message = _(
        "This idempotency key was already used for a different booking. Nothing was booked."
    )


class ClosedYear(LedgerError):
    default_code = "fiscal_year_closed"
    default_message = _("The fiscal year %(year)s is closed: it accepts no further bookings.")


class NotReversible(LedgerError):
    default_code = "not_reversible"
    default_message = _("This transfer cannot be reversed.")


class TiedToApplication(LedgerError):
    """The transfer belongs to an application: it moves only through the application's
    services (waiver, partial revocation, revocation), never by a plain reversal."""

    default_code = "tied_to_application"
    default_message = _(
        "This transfer belongs to application %(reference)s. Change the approval through the "
        "application (waiver, partial revocation or revocation)."
    )
