"""Defect 3 of issue 9: the admin must not bypass the services.

Every registered ModelAdmin (and its inlines) is walked as a superuser would see it: no state,
money, sequence, seat, bank or membership field may be editable, and no admin action may do
what a service owns (bulk delete, transitions).
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django_fsm import FSMFieldMixin

from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from fund_manager.organisations.models import Organisation
from fund_manager.rounds.models import SteeringGroup, SteeringMember
from tests.factories import FiscalYearFactory, FundFactory, UserFactory, user_with_role

User = get_user_model()
# Names that carry state, money or an order the services keep.
PROTECTED_NAMES = {"state", "status", "sequence", "reference", "balance", "budget", "members"}
MONEY_WORDS = ("amount", "budget", "balance")
# Seats of the steering group and who was entitled in a session: written by rounds.services.
SEAT_MODELS = {"rounds.steeringmember", "rounds.entitlement", "rounds.vote", "rounds.recusal"}
# Payment data and members of an organisation: written by organisations.services (audited,
# a new bank account only after a second person confirmed it).
ORGANISATION_PROTECTED = {
    "organisations.organisation": {
        "iban",
        "bic",
        "account_holder",
        "creditor_number",
        "members",
    },
    "organisations.membership": {"user", "organisation", "since"},
}
# Apps whose records only services write: no bulk action at all there.
SERVICE_APPS = {"core", "organisations", "applications", "ledger", "rounds", "viewflow"}


def _protected(model, name):
    label = model._meta.label_lower
    if label in SEAT_MODELS or name in ORGANISATION_PROTECTED.get(label, ()):
        return True
    if name in PROTECTED_NAMES or any(word in name for word in MONEY_WORDS):
        return True
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return isinstance(field, FSMFieldMixin | models.DecimalField)


def _editable(model_admin, request, obj, *, inline=False):
    """The field names a superuser could change in the add (obj None) or change form."""
    if obj is None:
        allowed = (
            model_admin.has_add_permission(request, None)
            if inline
            else model_admin.has_add_permission(request)
        )
    else:
        allowed = model_admin.has_change_permission(request, obj)
    if inline and obj is not None:
        # An inline may add rows on a change page even when it may not change existing ones.
        allowed = allowed or model_admin.has_add_permission(request, obj)
    if not allowed:
        return set()
    fields = set(flatten_fieldsets(model_admin.get_fieldsets(request, obj)))
    return fields - set(model_admin.get_readonly_fields(request, obj))


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(username="root", is_superuser=True, is_staff=True)
    return request


def test_defect_03_no_admin_edits_a_state_money_sequence_or_seat_field(superuser_request):
    request = superuser_request
    offences = []
    for model, model_admin in admin.site._registry.items():
        for obj in (None, model()):
            for name in _editable(model_admin, request, obj):
                if _protected(model, name):
                    offences.append(
                        f"{model._meta.label}.{name} ({'add' if obj is None else 'change'})"
                    )
            for inline in model_admin.get_inline_instances(request, obj):
                for name in _editable(inline, request, obj, inline=True):
                    if _protected(inline.model, name):
                        offences.append(
                            f"{model._meta.label} inline {inline.model._meta.label}.{name}"
                        )
        for name in model_admin.list_editable:
            if _protected(model, name):
                offences.append(f"{model._meta.label}.{name} (list_editable)")
    assert offences == []


def test_defect_03_no_admin_action_does_what_a_service_owns(superuser_request):
    request = superuser_request
    offences = []
    for model, model_admin in admin.site._registry.items():
        # Deleting a user would drop its memberships unaudited: accounts are deactivated.
        if model._meta.app_label not in SERVICE_APPS and model not in (FiscalYear, User):
            continue
        actions = model_admin.get_actions(request)
        if actions:
            offences.append(f"{model._meta.label}: actions {sorted(actions)}")
        if model_admin.has_delete_permission(request):
            offences.append(f"{model._meta.label}: delete")
    assert offences == []


@pytest.fixture
def finance_staff(db):
    return user_with_role("finance", username="kaemmerei", is_staff=True)


def test_defect_03_finance_cannot_close_a_fiscal_year_in_the_admin(client, finance_staff):
    year = FiscalYearFactory(fund=FundFactory(), year=2017)
    client.force_login(finance_staff)
    url = reverse("admin:funds_fiscalyear_change", args=[year.pk])

    response = client.post(
        url, {"fund": year.fund_id, "year": "2017", "state": FiscalYear.State.CLOSED}
    )

    assert response.status_code in {302, 403}
    year.refresh_from_db()
    assert year.state == FiscalYear.State.OPEN
    assert year.year == 2017
    assert not AuditEntry.objects.exists()
    # Reading stays possible: finance looks years up in the admin.
    assert client.get(url).status_code == 200


def test_defect_03_steering_member_inline_writes_no_seats(client, superuser_request):
    """A second chair on the same day through the admin inline: refused, nothing stored."""
    group = SteeringGroup.objects.create(fund=FundFactory(), name="Lenkungsgruppe")
    chair = user_with_role("chair", username="vorsitz")
    SteeringMember.objects.create(
        group=group, user=chair, is_chair=True, votes=True, since=datetime.date(2026, 1, 1)
    )
    other = user_with_role("chair", username="lenkung1")
    client.force_login(superuser_request.user)
    prefix = "members"
    response = client.post(
        reverse("admin:rounds_steeringgroup_change", args=[group.pk]),
        {
            "fund": group.fund_id,
            "name": "Lenkungsgruppe",
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": str(group.members.get().pk),
            f"{prefix}-0-group": str(group.pk),
            f"{prefix}-0-user": str(chair.pk),
            f"{prefix}-0-is_chair": "on",
            f"{prefix}-0-votes": "on",
            f"{prefix}-0-since": "2026-01-01",
            f"{prefix}-1-group": str(group.pk),
            f"{prefix}-1-user": str(other.pk),
            f"{prefix}-1-is_chair": "on",
            f"{prefix}-1-votes": "on",
            f"{prefix}-1-since": "2026-01-01",
        },
    )

    assert response.status_code in {200, 302, 403}
    assert list(group.members.values_list("user__username", "is_chair")) == [("vorsitz", True)]
    assert not AuditEntry.objects.exists()


def test_defect_03_organisation_bank_details_not_changed_in_the_admin(client, superuser_request):
    organisation = Organisation.objects.create(
        name="Soforthilfe Herne e.V.",
        kind=Organisation.Kind.PROVIDER,
        iban="DE89370400440532013000",
        account_holder="Soforthilfe Herne e.V.",
    )
    client.force_login(superuser_request.user)

    client.post(
        reverse("admin:organisations_organisation_change", args=[organisation.pk]),
        {
            "name": organisation.name,
            "kind": organisation.kind,
            "iban": "GB82WEST12345698765432",
            "account_holder": "Mallory",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    organisation.refresh_from_db()
    assert organisation.iban == "DE89370400440532013000"
    assert organisation.account_holder == "Soforthilfe Herne e.V."


def test_every_admin_page_still_opens(client, superuser_request):
    """Read-only is not broken: each changelist and each change page of a stored record opens."""
    year = FiscalYearFactory(fund=FundFactory(), year=2017)
    organisation = Organisation.objects.create(name="Caritas", kind=Organisation.Kind.PROVIDER)
    organisation.memberships.create(user=user_with_role("provider", username="caritas"))
    group = SteeringGroup.objects.create(fund=year.fund, name="Lenkungsgruppe")
    SteeringMember.objects.create(
        group=group, user=user_with_role("chair"), is_chair=True, since=datetime.date(2026, 1, 1)
    )
    client.force_login(superuser_request.user)
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change
