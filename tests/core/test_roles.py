"""Role groups: created by the data migration, kept in line by sync_roles."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from fund_manager.core.roles import (
    ROLE_PERMISSIONS,
    STAFF_ROLES,
    Role,
    has_role,
    is_staff_reader,
    sync_roles,
    user_roles,
)
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def granted():
    """{role: {"app_label.codename", ...}} as the database has it."""
    return {
        group.name: {
            f"{perm.content_type.app_label}.{perm.codename}" for perm in group.permissions.all()
        }
        for group in Group.objects.filter(name__in=Role.values).prefetch_related(
            "permissions__content_type"
        )
    }


@pytest.fixture
def keep_app_registry():
    """sync_roles() toggles AppConfig.models_module while it runs; should it ever fail to put
    it back, do so here, so that one failing test does not break the rest of the session."""
    saved = {config.label: config.models_module for config in apps.get_app_configs()}
    yield
    for config in apps.get_app_configs():
        config.models_module = saved[config.label]


def test_migration_created_the_six_groups_with_exactly_their_permissions():
    expected = {role.value: set(perms) for role, perms in ROLE_PERMISSIONS.items()}

    assert set(expected) == {
        "provider",
        "project_office",
        "steering_member",
        "chair",
        "finance",
        "auditor",
    }
    assert granted() == expected


@pytest.mark.parametrize(
    ("role", "permission", "has_it"),
    [
        (Role.PROVIDER, "applications.submit_application", True),
        (Role.PROVIDER, "applications.view_all_applications", False),
        (Role.PROVIDER, "applications.review_application", False),
        (Role.PROJECT_OFFICE, "applications.review_application", True),
        (Role.PROJECT_OFFICE, "applications.submit_application", False),
        (Role.STEERING_MEMBER, "applications.view_all_applications", True),
        (Role.STEERING_MEMBER, "applications.change_application", False),
        (Role.FINANCE, "funds.change_fiscalyear", True),
        (Role.AUDITOR, "core.view_audit_trail", True),
        (Role.AUDITOR, "applications.change_application", False),
        (Role.CHAIR, "core.view_audit_trail", False),
    ],
)
def test_role_permissions_reach_the_user(role, permission, has_it):
    assert user_with_role(role).has_perm(permission) is has_it


def test_sync_roles_is_idempotent(keep_app_registry):
    # After a transactional test's flush, post_migrate may have left out permissions that
    # sync_roles creates (viewflow's "manage"); start from a synced state.
    sync_roles()
    groups = dict(Group.objects.values_list("name", "pk"))
    permission_count = Permission.objects.count()
    before = granted()

    sync_roles()
    sync_roles()

    assert granted() == before
    assert dict(Group.objects.values_list("name", "pk")) == groups
    assert Permission.objects.count() == permission_count


def test_sync_roles_restores_exactly_the_listed_permissions(keep_app_registry):
    office = Group.objects.get(name=Role.PROJECT_OFFICE)
    office.permissions.remove(Permission.objects.get(codename="review_application"))
    office.permissions.add(Permission.objects.get(codename="delete_application"))
    Group.objects.get(name=Role.AUDITOR).delete()

    sync_roles()

    assert granted() == {role.value: set(perms) for role, perms in ROLE_PERMISSIONS.items()}


def test_sync_roles_leaves_the_app_registry_alone(keep_app_registry):
    """Regression: it used to set models_module = None on every app of the global registry,
    after which post_migrate (content types, permissions) and dumpdata skipped every app."""
    before = {config.label: config.models_module for config in apps.get_app_configs()}

    sync_roles()

    assert {config.label: config.models_module for config in apps.get_app_configs()} == before
    assert apps.get_app_config("applications").models_module is not None


def test_user_roles_and_staff_reader():
    provider = user_with_role(Role.PROVIDER)
    both = UserFactory(roles=[Role.PROVIDER, Role.FINANCE])

    assert user_roles(provider) == {"provider"}
    assert not is_staff_reader(provider)
    assert user_roles(both) == {"provider", "finance"}
    assert has_role(both, Role.FINANCE)
    assert is_staff_reader(both)
    assert all(is_staff_reader(user_with_role(role)) for role in STAFF_ROLES)
    assert is_staff_reader(UserFactory(is_superuser=True))
    assert user_roles(UserFactory()) == set()
