"""Signals of the core for the layers above it (they listen; the core knows none of them)."""

from django.dispatch import Signal

# Sent by ``audit.log_action`` inside the service's transaction, after the entry is stored:
# ``entry`` (the AuditEntry) and ``obj`` (the record it is about). The statistics' figures
# (reporting.figures) are written here, in the same transaction.
audit_logged = Signal()
