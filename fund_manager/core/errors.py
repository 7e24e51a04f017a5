"""Domain errors: what a service refuses, with a translatable message and a machine code.

Views turn them into form errors or messages; the API turns them into a status code and
``{"detail", "code"}`` (fund_manager.api.exceptions). Every app derives its own error type.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the action; nothing was changed."""

    status_code = 409
    default_code = "domain_error"
    default_message = _("This action is not possible.")

    def __init__(self, message=None, *, code=None, params=None, fields=None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.params = params or {}
        # Optional per-field messages ({"field": [message]}), for 400-style validation errors.
        self.fields = fields or {}
        super().__init__(str(self.message))

    def __str__(self):
        message = str(self.message)
        return message % self.params if self.params else message


class InvalidTransition(DomainError):
    """The record's current state does not allow the action (HTTP 409)."""

    default_code = "transition_not_allowed"
    default_message = _("This action is not possible in the current state.")


class ConcurrentChange(DomainError):
    """Someone else changed the record at the same time (HTTP 409)."""

    default_code = "concurrent_change"
    default_message = _("The record was changed by someone else at the same time. Please reload.")


class NotPermitted(DomainError):
    """The acting user's role may not do this (HTTP 403)."""

    status_code = 403
    default_code = "not_permitted"
    default_message = _("You are not allowed to do this.")


class InvalidInput(DomainError):
    """Input that passed the form but breaks a business rule (HTTP 400 with field errors)."""

    status_code = 400
    default_code = "invalid"
    default_message = _("Please correct the marked fields.")
