"""Rules as pure functions, tested as tables:

- ``access``: who may do what to which application (roles, scope, separation of duties);
- ``completeness``: what an application needs before it can be submitted;
- ``guidelines`` + ``rules``: the funding guidelines as versioned YAML and their rule functions;
- ``voting``: quorum, majority, ties and recusal of the steering group (GO NRW defaults), and
  the funding check of a session's approvals (used by the funding-rounds issue).
"""
