"""Who may do what to which application: role (Django group) plus object scope.

Pure predicates over a user and a record; the services call them before every change, the
selectors build the same rule into querysets, the templates use them to hide buttons. Separation
of duties (docs/architecture.md, "Roles"): nobody decides on an application of an
organisation they belong to.
"""

from fund_manager.core.roles import Role, has_role, is_staff_reader


def member_organisation_ids(user) -> frozenset[int]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_fm_org_ids", None)
    if cached is None:
        cached = frozenset(user.memberships.values_list("organisation_id", flat=True))
        user._fm_org_ids = cached
    return cached


def is_member(user, organisation_id) -> bool:
    return organisation_id in member_organisation_ids(user)


def is_provider_of(user, application) -> bool:
    """A provider acting for its own organisation."""
    return has_role(user, Role.PROVIDER) and is_member(user, application.organisation_id)


def can_view_application(user, application) -> bool:
    if is_provider_of(user, application):
        return True
    # Drafts are the applicant's private work; staff see an application once it was submitted.
    return application.submitted_at is not None and is_staff_reader(user)


def can_create_for(user, organisation) -> bool:
    return has_role(user, Role.PROVIDER) and is_member(user, organisation.pk)


# Which role acts in which transition (django-fsm method name -> role).
TRANSITION_ROLES = {
    "submit": Role.PROVIDER,
    "resubmit": Role.PROVIDER,
    "withdraw": Role.PROVIDER,
    "start_review": Role.PROJECT_OFFICE,
    "request_changes": Role.PROJECT_OFFICE,
    "mark_eligible": Role.PROJECT_OFFICE,
    "mark_ineligible": Role.PROJECT_OFFICE,
}


def may_transition(user, application, transition: str) -> bool:
    """Role and scope for one transition; the state is checked by the state machine."""
    role = TRANSITION_ROLES[transition]
    if role == Role.PROVIDER:
        return is_provider_of(user, application)
    # Staff decide only on applications of organisations they do not belong to.
    return has_role(user, role) and not is_member(user, application.organisation_id)


def can_edit_content(user, application) -> bool:
    return is_provider_of(user, application)


def allowed_transitions(user, application) -> set[str]:
    """The transitions ``user`` may run on ``application`` now (role, scope and state)."""
    from django_fsm import can_proceed

    return {
        name
        for name in TRANSITION_ROLES
        if may_transition(user, application, name) and can_proceed(getattr(application, name))
    }


# --- changing an approval (applications.grants) -------------------------------------------------
def may_waive(user, application) -> bool:
    """Only the recipient waives its grant: a provider of the applicant organisation."""
    return is_provider_of(user, application)


def may_revoke(user, application) -> bool:
    """The project office runs a revocation, never for an organisation it belongs to
    (separation of duties: nobody decides on an application of their own organisation)."""
    return has_role(user, Role.PROJECT_OFFICE) and not is_member(user, application.organisation_id)
