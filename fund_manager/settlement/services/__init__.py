"""Writes of the settlement (issue 11): usage reports and their extensions (``reports``,
``extensions``), refund claims (``claims``). Each function guards, locks, transitions, audits."""
