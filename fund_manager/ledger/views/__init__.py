"""Ledger pages: balances, journal and its export for readers; budget operations for finance.

Thin: check the permission, parse a form, call a service, show the result. The services check
the same permissions again and refuse every booking that breaks a rule; their errors become
form errors or messages here, and nothing is booked.
"""
