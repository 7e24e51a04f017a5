import copy
import inspect
import sys

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fund_manager.core.roles import sync_roles
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    OrganisationFactory,
    TargetGroupFactory,
    provider_user,
    user_with_role,
)
from workflows import services as use_cases


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
def finance(db):
    return user_with_role("finance")


@pytest.fixture
def api():
    """Returns a client acting as ``user`` (token authentication, as other systems use it)."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def roles():
    """The role groups with their permissions. A transactional test may start from a flushed
    database without them: such modules ask for it with ``pytest.mark.usefixtures("roles")``."""
    sync_roles()


@pytest.fixture
def fiscal_year(db):
    """This year of the factory fund (no budget booked: see tests.factories.funded_year)."""
    return FiscalYearFactory()


@pytest.fixture
def action_field(fiscal_year):
    return ActionFieldFactory(fund=fiscal_year.fund)


@pytest.fixture
def target_group(fiscal_year):
    return TargetGroupFactory(fund=fiscal_year.fund)


@pytest.fixture
def draft(provider, organisation):
    return ApplicationFactory(organisation=organisation, created_by=provider)


@pytest.fixture
def submitted(draft, provider):
    return use_cases.submit_application(application=draft, by=provider)


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language (German), as a new request or command does:
    a test client request in English leaves its language active on the thread afterwards."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


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
    from fund_manager.applications.ledger_check import verify_applications
    from fund_manager.funds.models import FiscalYear
    from fund_manager.ledger.verification import verify_year
    from fund_manager.payments.ledger_check import verify_payments

    problems = [
        problem
        for year in FiscalYear.objects.filter(transfers__isnull=False).distinct()
        for problem in verify_year(year)
    ]
    assert not problems, problems
    # Every application agrees with the ledger (over all years; defect 2 of issue 9). Tests of
    # the bare ledger movements, which book without the application services, opt out with
    # applications_unchecked.
    if not request.node.get_closest_marker("applications_unchecked"):
        problems = verify_applications().problems
        assert not problems, problems
    # Every paid payment has its disbursement booking, and no other payment has one (issue 11).
    problems = verify_payments()
    assert not problems, problems


# --- data built once per module (issue 9, defect 19) -------------------------------------------
def _is_transactional(item):
    marker = item.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(item.fixturenames)
        or (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    )


@pytest.fixture(scope="module")
def module_transaction(request, django_db_setup, django_db_blocker):
    """One transaction around a whole test module, rolled back after its last test; yields
    True. What ``module_data`` fixtures build in it is there for every later test of the
    module. Each test still runs in its own atomic block on top (pytest-django's, a savepoint
    here), so what a test changes is undone after it, as before.

    A module with transactional tests gets no such transaction (they need real commits, and
    their flush would empty it): it yields False, and ``module_data`` builds for every test."""
    if any(
        item.module is request.module and _is_transactional(item) for item in request.session.items
    ):
        yield False
        return
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # Like Django's own test atomics: a durable block of the code under test may nest in it.
        atomic._from_testcase = True
        atomic.__enter__()
    try:
        yield True
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        # Caches that may have seen rows of the rolled-back transaction.
        ContentType.objects.clear_cache()


_NOT_BUILT = object()


def module_data(builder):
    """Turn ``builder`` into a fixture whose data is built once per test module.

        @module_data
        def world():
            finance = user_with_role("finance")
            return {"finance": finance, "year": funded_year(finance=finance)}

        def test_something(world): ...

    ``builder()`` runs once per module, inside ``module_transaction``, before the first test of
    the module that asks for the fixture (it takes no fixtures itself; it may call other
    builders). Every test gets its own deep copy of what it returned (as Django's
    ``setUpTestData`` does), so a model instance a test changed in memory is fresh again in the
    next test; what a test writes to the database is rolled back after it. In a module with
    transactional tests it builds for every test instead, like a plain fixture.

    Define it in the test module or in a conftest.py; don't import it into another module
    (pytest would not find its module-scoped half there): move it to the conftest.py instead.
    Use it where building costs much more than a test (the demo, rounds with sessions, votes
    and minutes). Once built, the data is there for the later tests of the module too.
    """
    name = builder.__name__
    once_name = f"_{name}_built_once"

    @pytest.fixture(scope="module", name=once_name)
    def built_once(module_transaction, django_db_blocker):
        if not module_transaction:
            return _NOT_BUILT
        with django_db_blocker.unblock():
            return builder()

    def per_test(request, **built):
        request.getfixturevalue("transactional_db" if _is_transactional(request.node) else "db")
        if built[once_name] is _NOT_BUILT:
            return builder()
        return copy.deepcopy(built[once_name])

    # pytest reads a fixture's arguments from its signature: ask for the module-scoped half by
    # its generated name, so that pytest builds it before the test's own atomic block.
    per_test.__signature__ = inspect.Signature(
        [
            inspect.Parameter(arg, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for arg in ("request", once_name)
        ]
    )
    per_test.__name__ = per_test.__qualname__ = name
    per_test.__doc__ = builder.__doc__
    per_test.__module__ = builder.__module__
    # pytest finds fixtures among the attributes of the module (or conftest) that defines them.
    sys.modules[builder.__module__].__dict__[once_name] = built_once
    return pytest.fixture(per_test)


class DemoData:
    """What the demo seeder built, looked up by its natural keys (usernames, codes, names)."""

    def __init__(self, seeder):
        self.fund = seeder.fund
        self.year_2017 = seeder.year_2017
        self.year_now = seeder.year_now
        self.fields = dict(seeder.fields)
        self.groups = dict(seeder.groups)
        self.orgs = dict(seeder.orgs)
        self.users = dict(seeder.users)


@module_data
def demo_data():
    """The whole demo (fund_manager.demo.Seeder, as ``seed_demo`` loads it), seeded once
    per test module instead of once per test; a ``DemoData`` with its main objects."""
    from fund_manager.demo.seeder import Seeder

    seeder = Seeder(out=lambda *args: None)
    seeder.run()
    return DemoData(seeder)
