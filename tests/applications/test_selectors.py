"""Who sees which application (applications.selectors)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from fund_manager.applications import selectors
from fund_manager.applications.models import Application, State
from fund_manager.core.roles import STAFF_ROLES, Role
from fund_manager.organisations.models import Membership
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    UserFactory,
    force_state,
    provider_user,
    user_with_role,
)
from workflows import services as use_cases


@pytest.fixture
def world(organisation, provider):
    """Two organisations, each with a draft and a submitted application; one more withdrawn."""
    other = OrganisationFactory()
    other_provider = provider_user(other)
    mine = {
        "draft": ApplicationFactory(organisation=organisation, created_by=provider),
        "submitted": use_cases.submit_application(
            application=ApplicationFactory(organisation=organisation), by=provider
        ),
        "withdrawn": force_state(ApplicationFactory(organisation=organisation), State.WITHDRAWN),
    }
    theirs = {
        "draft": ApplicationFactory(organisation=other),
        "submitted": use_cases.submit_application(
            application=ApplicationFactory(organisation=other), by=other_provider
        ),
    }
    return {"mine": mine, "theirs": theirs, "other_provider": other_provider}


def visible(user):
    return set(selectors.applications_visible_to(user).values_list("pk", flat=True))


def pks(*applications):
    return {application.pk for application in applications}


def test_provider_sees_everything_of_its_own_organisation_only(world, provider):
    assert visible(provider) == pks(*world["mine"].values())


def test_provider_of_another_organisation_sees_none_of_it(world):
    assert visible(world["other_provider"]) == pks(*world["theirs"].values())


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_see_submitted_applications_but_no_drafts(world, role):
    staff = user_with_role(role)

    assert visible(staff) == pks(
        world["mine"]["submitted"], world["mine"]["withdrawn"], world["theirs"]["submitted"]
    )


def test_superuser_sees_submitted_applications_but_no_drafts(world):
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert visible(admin) == pks(
        world["mine"]["submitted"], world["mine"]["withdrawn"], world["theirs"]["submitted"]
    )


@pytest.mark.parametrize(
    "user",
    [AnonymousUser, UserFactory, lambda: UserFactory(is_staff=True)],
    ids=["anonymous", "no-role", "django-staff-without-role"],
)
def test_users_without_a_role_see_nothing(world, user):
    assert visible(user()) == set()


def test_member_without_provider_role_does_not_see_the_drafts(world, organisation):
    """Membership alone is no right: a steering member of the organisation sees what any
    steering member sees, never the drafts."""
    member = user_with_role(Role.STEERING_MEMBER)
    Membership.objects.create(organisation=organisation, user=member)

    assert world["mine"]["draft"].pk not in visible(member)
    assert visible(member) == pks(
        world["mine"]["submitted"], world["mine"]["withdrawn"], world["theirs"]["submitted"]
    )


def test_application_detail_hides_what_is_not_visible(world):
    with pytest.raises(Application.DoesNotExist):
        selectors.application_detail(world["other_provider"], world["mine"]["draft"].pk)

    found = selectors.application_detail(world["other_provider"], world["theirs"]["draft"].pk)
    assert found == world["theirs"]["draft"]


def test_application_list_has_a_constant_number_of_queries(world, django_assert_max_num_queries):
    office = user_with_role(Role.PROJECT_OFFICE)  # its role lookup counts in the budget

    with django_assert_max_num_queries(2):
        rows = [
            (a.organisation.name, a.action_field.name, a.fiscal_year.year, a.fund.name)
            for a in selectors.application_list(office)
        ]

    assert len(rows) == 3
