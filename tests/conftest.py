import pytest

from fund_manager.applications import services
from tests.factories import ApplicationFactory, OrganisationFactory, provider_user, user_with_role


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def provider(organisation):
    return provider_user(organisation)


@pytest.fixture
def other_provider(db):
    return provider_user(OrganisationFactory())


@pytest.fixture
def office(db):
    return user_with_role("project_office")


@pytest.fixture
def draft(provider, organisation):
    return ApplicationFactory(organisation=organisation, created_by=provider)


@pytest.fixture
def submitted(draft, provider):
    return services.submit_application(application=draft, by=provider)
