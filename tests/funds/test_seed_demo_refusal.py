"""seed_demo refuses to run with DEBUG off (on an empty database, so apart from the module of
tests/funds/test_seed_demo.py, which seeds the demo once for all its tests)."""

import pytest
from django.core.management import CommandError, call_command

from fund_manager.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Organisation.objects.exists()
