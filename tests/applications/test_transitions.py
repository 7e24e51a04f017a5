"""Every (state, transition, actor) combination of the application lifecycle, allowed or not.

The expected outcome comes from the table below, written out by hand from docs/architecture.md;
it does not ask ``policies.access`` or the state machine, so a change to either that breaks a rule
makes a case fail here.
"""

import pytest
from django_fsm import can_proceed

from fund_manager.applications import services
from fund_manager.applications.models import Application, State
from fund_manager.applications.services import ApplicationError
from fund_manager.core.errors import NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.core.roles import Role
from fund_manager.organisations.models import Membership
from policies.access import TRANSITION_ROLES
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    force_state_with_approval,
    provider_user,
    user_with_role,
)
from workflows import services as use_cases

# The six roles, plus two actors whose role fits but whose scope does not.
PROVIDER_OF_OTHER_ORG = "provider_of_another_organisation"
OFFICE_MEMBER_OF_APPLICANT = "office_member_of_applicant_organisation"
ACTORS = [*Role.values, PROVIDER_OF_OTHER_ORG, OFFICE_MEMBER_OF_APPLICANT]

# Who may do what, from which state, to which state, with which audit code. "provider" means a
# provider who belongs to the applicant organisation; "project_office" one who does not.
# Everybody else (the other roles, a provider of another organisation, an office member who
# belongs to the applicant) may do nothing at all.
WITHDRAWABLE = (
    State.SUBMITTED,
    State.IN_REVIEW,
    State.CHANGES_REQUESTED,
    State.ELIGIBLE,
    State.SCHEDULED,
    State.DEFERRED,
)
RULES = {
    "submit": (Role.PROVIDER, {State.DRAFT: (State.SUBMITTED, "application.submitted")}),
    "resubmit": (
        Role.PROVIDER,
        {State.CHANGES_REQUESTED: (State.SUBMITTED, "application.resubmitted")},
    ),
    "withdraw": (
        Role.PROVIDER,
        dict.fromkeys(WITHDRAWABLE, (State.WITHDRAWN, "application.withdrawn")),
    ),
    "start_review": (
        Role.PROJECT_OFFICE,
        {State.SUBMITTED: (State.IN_REVIEW, "application.review_started")},
    ),
    "request_changes": (
        Role.PROJECT_OFFICE,
        {State.IN_REVIEW: (State.CHANGES_REQUESTED, "application.changes_requested")},
    ),
    "mark_eligible": (
        Role.PROJECT_OFFICE,
        {State.IN_REVIEW: (State.ELIGIBLE, "application.marked_eligible")},
    ),
    "mark_ineligible": (
        Role.PROJECT_OFFICE,
        {State.IN_REVIEW: (State.INELIGIBLE, "application.marked_ineligible")},
    ),
}

# One service is the entry point for both submit and resubmit: it resubmits when changes were
# requested and submits otherwise. Through the service, both therefore start from either state.
SUBMIT_OR_RESUBMIT = {**RULES["submit"][1], **RULES["resubmit"][1]}

SERVICES = {
    "submit": lambda application, by: use_cases.submit_application(application=application, by=by),
    "resubmit": lambda application, by: use_cases.submit_application(
        application=application, by=by
    ),
    "withdraw": lambda application, by: use_cases.withdraw_application(
        application=application, by=by, reason="Projekt entfällt."
    ),
    "start_review": lambda application, by: services.start_review(application=application, by=by),
    "request_changes": lambda application, by: services.request_changes(
        application=application, by=by, note="Bitte den Kostenplan aufschlüsseln."
    ),
    "mark_eligible": lambda application, by: services.mark_eligible(application=application, by=by),
    "mark_ineligible": lambda application, by: services.mark_ineligible(
        application=application, by=by, note="Keine Integrationsmaßnahme."
    ),
}


def expected_outcome(state, transition, actor):
    """(target state, audit code) if allowed, else the error class the service must raise."""
    role, starts = RULES[transition]
    if actor != role:
        return NotPermitted
    if transition in ("submit", "resubmit"):
        starts = SUBMIT_OR_RESUBMIT
    return starts.get(state, ApplicationError)


def make_actor(actor, organisation):
    if actor == Role.PROVIDER:
        return provider_user(organisation)
    if actor == PROVIDER_OF_OTHER_ORG:
        return provider_user(OrganisationFactory())
    if actor == OFFICE_MEMBER_OF_APPLICANT:
        user = user_with_role(Role.PROJECT_OFFICE)
        Membership.objects.create(organisation=organisation, user=user)
        return user
    return user_with_role(actor)


def test_the_table_covers_every_transition():
    assert set(RULES) == set(TRANSITION_ROLES)
    for transition, (role, _starts) in RULES.items():
        assert TRANSITION_ROLES[transition] == role


def snapshot(application):
    application.refresh_from_db()
    return {
        "state": application.state,
        "reference": application.reference,
        "submitted_at": application.submitted_at,
        "updated_at": application.updated_at,
        "requested_amount": application.requested_amount,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("transition", list(RULES))
@pytest.mark.parametrize("state", State.values)
def test_transition(state, transition, actor):
    organisation = OrganisationFactory()
    application = force_state_with_approval(ApplicationFactory(organisation=organisation), state)
    user = make_actor(actor, organisation)
    before = snapshot(application)
    audit_count = AuditEntry.objects.count()
    expected = expected_outcome(state, transition, actor)

    if isinstance(expected, tuple):
        target, action = expected
        result = SERVICES[transition](application, user)

        assert result.state == target
        application.refresh_from_db()
        assert application.state == target
        entries = list(AuditEntry.objects.for_object(application))
        assert len(entries) == 1
        assert AuditEntry.objects.count() == audit_count + 1
        entry = entries[0]
        assert entry.action == action
        assert entry.actor == user
        if action == "application.submitted":
            assert application.reference is not None
            assert entry.data["reference"] == application.reference
        elif action == "application.resubmitted":
            assert application.reference == before["reference"]
        else:
            assert entry.data["from"] == state
            assert entry.data["to"] == target
    else:
        # NotPermitted and ApplicationError are siblings: neither passes for the other.
        with pytest.raises(expected):
            SERVICES[transition](application, user)

        assert snapshot(application) == before
        assert AuditEntry.objects.count() == audit_count
        assert not AuditEntry.objects.for_object(application).exists()


@pytest.mark.parametrize("transition", list(RULES))
@pytest.mark.parametrize("state", State.values)
def test_state_machine_alone(state, transition):
    """The model's transitions, without the service that picks submit or resubmit."""
    application = Application(state=state)

    assert can_proceed(getattr(application, transition)) == (state in RULES[transition][1])
