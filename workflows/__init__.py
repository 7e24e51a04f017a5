"""viewflow processes: who has to do what next (tasks, queues, timers).

The flows call the domain services in ``fund_manager/<app>/services.py``; they never change a
record's state themselves. The eligibility check ("Fördervoraussetzungen prüfen") is the first
flow and arrives with the guidelines issue.
"""
