"""Signals of the ledger for the layers above it (they listen; the ledger knows none of them)."""

from django.dispatch import Signal

# Sent by ``posting.post_transfers`` inside its transaction, after the transfers are stored:
# ``transfers`` (the new Transfer rows, in booking order). The statistics' figures
# (reporting.figures) are written here, in the same transaction.
transfers_posted = Signal()
