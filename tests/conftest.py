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


@pytest.fixture(autouse=True)
def _ledger_stays_sound(request):
    """After every database test that booked anything, the ledger's invariants still hold
    (so verify_ledger is clean after the whole suite). Opt out with ledger_unchecked."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if not (marker or {"db", "transactional_db"} & names):
        yield
        return
    if request.node.get_closest_marker("ledger_unchecked"):
        yield
        return
    # Ask for the database first, so that it is still there when this fixture tears down.
    transactional = "transactional_db" in names or (marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from fund_manager.funds.models import FiscalYear
    from fund_manager.ledger.verification import verify_year

    problems = [
        problem
        for year in FiscalYear.objects.filter(transfers__isnull=False).distinct()
        for problem in verify_year(year)
    ]
    assert not problems, problems
