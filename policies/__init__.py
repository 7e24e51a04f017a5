"""Rules as pure functions: access and separation of duties (``access``), what an application
needs before it can be submitted (``completeness``); later: the funding guidelines."""
