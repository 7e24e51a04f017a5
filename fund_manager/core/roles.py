"""Roles are Django groups with permissions (docs/architecture.md, "Roles").

The mapping below is the single source: the data migrations and ``manage.py sync_roles`` apply
it. Code asks for permissions (``user.has_perm``), or for a role through ``has_role``; the
policies in ``policies/`` combine them with the object scope.
"""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    PROVIDER = "provider", _("Applicant")
    PROJECT_OFFICE = "project_office", _("Project office")
    STEERING_MEMBER = "steering_member", _("Steering group member")
    CHAIR = "chair", _("Chair")
    FINANCE = "finance", _("Finance")
    AUDITOR = "auditor", _("Audit office")


STAFF_ROLES = (
    Role.PROJECT_OFFICE,
    Role.STEERING_MEMBER,
    Role.CHAIR,
    Role.FINANCE,
    Role.AUDITOR,
)

_READ_REFERENCE = [
    "funds.view_fund",
    "funds.view_fiscalyear",
    "funds.view_actionfield",
    "funds.view_targetgroup",
]
_READ_ALL = [
    *_READ_REFERENCE,
    "organisations.view_organisation",
    "applications.view_application",
    "applications.view_all_applications",
]

ROLE_PERMISSIONS = {
    Role.PROVIDER: [
        *_READ_REFERENCE,
        "applications.view_application",
        "applications.add_application",
        "applications.change_application",
        "applications.submit_application",
        "applications.withdraw_application",
        "payments.request_payment",
        "payments.view_paymentrequest",
        "settlement.file_report",
        "settlement.view_usagereport",
    ],
    Role.PROJECT_OFFICE: [
        *_READ_ALL,
        "ledger.view_ledger",
        "applications.review_application",
        "organisations.add_organisation",
        "organisations.change_organisation",
        "payments.view_paymentrequest",
        "payments.certify_payment",
        "settlement.view_usagereport",
        "settlement.review_report",
        "settlement.view_refundclaim",
        "settlement.waive_interest",
        "reporting.view_statistics",
        "reporting.write_status_report",
        "reporting.export_lists",
    ],
    Role.STEERING_MEMBER: [*_READ_ALL, "reporting.view_statistics"],
    Role.CHAIR: [*_READ_ALL, "rounds.chair_session", "reporting.view_statistics"],
    Role.FINANCE: [
        *_READ_ALL,
        "funds.change_fiscalyear",
        "ledger.view_ledger",
        "ledger.view_transfer",
        "ledger.view_account",
        "ledger.manage_budget",
        "ledger.close_fiscal_year",
        "ledger.freeze_spending",
        "payments.view_paymentrequest",
        "payments.order_payment",
        "payments.export_payments",
        "payments.confirm_payments",
        "settlement.view_refundclaim",
        "settlement.record_refund",
        "reporting.view_statistics",
        "reporting.export_lists",
        "reporting.run_verification",
    ],
    Role.AUDITOR: [
        *_READ_ALL,
        "core.view_audit_trail",
        "core.view_auditentry",
        "ledger.view_ledger",
        "ledger.view_transfer",
        "ledger.view_account",
        "payments.view_paymentrequest",
        "settlement.view_usagereport",
        "settlement.view_refundclaim",
        "reporting.view_statistics",
        "reporting.export_lists",
        "reporting.run_verification",
        "reporting.view_verificationrun",
    ],
}


def user_roles(user) -> set[str]:
    """The role names a user holds (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_fm_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(Role.values)
        user._fm_roles = cached
    return cached


def has_role(user, role) -> bool:
    return role in user_roles(user)


def is_staff_reader(user) -> bool:
    """Staff roles and superusers read every application that has left the draft state."""
    return getattr(user, "is_superuser", False) or bool(user_roles(user) & set(STAFF_ROLES))


def sync_roles(apps=None, verbosity=0):
    """Create the role groups and give them exactly the permissions listed above."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    for app_config in apps.get_app_configs():
        # Historical app configs (inside a migration) have no models_module, and
        # create_permissions skips those; restore whatever was there afterwards.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        try:
            create_permissions(app_config, apps=apps, verbosity=verbosity)
        finally:
            app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
