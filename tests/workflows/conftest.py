import pytest

from tests.factories import user_with_role


@pytest.fixture
def office2(db):
    """A second project-office member."""
    return user_with_role("project_office")
