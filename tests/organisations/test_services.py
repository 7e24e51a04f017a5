"""Organisation services: data, members and four-eyes bank details (issue 9, defect 3)."""

import pytest
from django.core import mail

from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.organisations import services
from fund_manager.organisations.models import BankDetailsChange, Membership, Organisation
from fund_manager.organisations.services import OrganisationError
from tests.factories import UserFactory, user_with_role

from .conftest import NEW_IBAN, OLD_IBAN


def _entries(organisation):
    return list(AuditEntry.objects.for_object(organisation).order_by("pk"))


def _enter(organisation, by, iban=NEW_IBAN, **kwargs):
    return services.request_bank_details_change(
        organisation=organisation,
        iban=iban,
        bic=kwargs.get("bic", "WELADED1HER"),
        account_holder=kwargs.get("account_holder", "Soforthilfe Herne e.V."),
        creditor_number=kwargs.get("creditor_number", "100200"),
        by=by,
    )


# --- data -------------------------------------------------------------------------------------


def test_create_organisation_is_audited(office):
    organisation = services.create_organisation(
        by=office, name="Caritasverband Herne e.V.", kind="provider", city="Herne"
    )

    assert organisation.iban == ""
    [entry] = _entries(organisation)
    assert entry.action == "organisation.created"
    assert entry.actor == office
    assert entry.data["name"] == "Caritasverband Herne e.V."


def test_create_organisation_refuses_a_taken_name(office, soforthilfe, unchanged):
    with unchanged(), pytest.raises(InvalidInput) as excinfo:
        services.create_organisation(by=office, name="soforthilfe herne e.v.", kind="provider")
    assert "name" in excinfo.value.fields


def test_update_organisation_audits_old_and_new(office, soforthilfe):
    services.update_organisation(
        organisation=soforthilfe, by=office, street="Hauptstraße 5", city="Herne"
    )

    soforthilfe.refresh_from_db()
    assert soforthilfe.street == "Hauptstraße 5"
    [entry] = _entries(soforthilfe)
    assert entry.action == "organisation.updated"
    assert entry.data == {"changes": {"street": ["Bahnhofstraße 1", "Hauptstraße 5"]}}


def test_update_without_a_change_writes_nothing(office, soforthilfe, unchanged):
    with unchanged():
        services.update_organisation(organisation=soforthilfe, by=office, city="Herne")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"kind": "bank"}, "kind"),
        ({"name": ""}, "name"),
        ({"city": "Herne\u0001"}, "city"),
    ],
)
def test_update_refuses_bad_input(office, soforthilfe, unchanged, data, field):
    with unchanged(), pytest.raises(InvalidInput) as excinfo:
        services.update_organisation(organisation=soforthilfe, by=office, **data)
    assert field in excinfo.value.fields


@pytest.mark.parametrize("role", ["provider", "finance", "auditor", "steering_member", "chair"])
def test_only_the_office_changes_data(soforthilfe, unchanged, role):
    with unchanged(), pytest.raises(NotPermitted):
        services.update_organisation(
            organisation=soforthilfe, by=user_with_role(role), city="Bochum"
        )


def test_a_member_of_the_office_does_not_change_its_own_organisation(soforthilfe, office):
    Membership.objects.create(organisation=soforthilfe, user=office)
    with pytest.raises(NotPermitted) as excinfo:
        services.update_organisation(organisation=soforthilfe, by=office, city="Bochum")
    assert excinfo.value.code == "own_organisation"
    soforthilfe.refresh_from_db()
    assert soforthilfe.city == "Herne"


# --- members ----------------------------------------------------------------------------------


def test_add_and_remove_member_are_audited(office, soforthilfe):
    user = UserFactory(username="vhs")

    services.add_member(organisation=soforthilfe, user=user, by=office)
    assert soforthilfe.members.filter(pk=user.pk).exists()
    services.remove_member(organisation=soforthilfe, user=user, by=office)

    assert not soforthilfe.members.filter(pk=user.pk).exists()
    assert [(e.action, e.data["user"], e.actor) for e in _entries(soforthilfe)] == [
        ("organisation.member_added", "vhs", office),
        ("organisation.member_removed", "vhs", office),
    ]


def test_add_member_refuses_a_member_twice(office, soforthilfe, unchanged):
    traeger = soforthilfe.members.get(username="traeger")
    with unchanged(), pytest.raises(OrganisationError) as excinfo:
        services.add_member(organisation=soforthilfe, user=traeger, by=office)
    assert excinfo.value.code == "already_member"


def test_add_member_refuses_an_inactive_account(office, soforthilfe, unchanged):
    user = UserFactory(username="ehemalig", is_active=False)
    with unchanged(), pytest.raises(InvalidInput) as excinfo:
        services.add_member(organisation=soforthilfe, user=user, by=office)
    assert "username" in excinfo.value.fields


def test_remove_member_refuses_a_non_member(office, soforthilfe, unchanged):
    with unchanged(), pytest.raises(OrganisationError) as excinfo:
        services.remove_member(organisation=soforthilfe, user=UserFactory(), by=office)
    assert excinfo.value.code == "not_a_member"


@pytest.mark.parametrize("role", ["provider", "finance", "auditor"])
def test_only_the_office_manages_members(soforthilfe, unchanged, role):
    actor = user_with_role(role)
    traeger = soforthilfe.members.get(username="traeger")
    with unchanged():
        with pytest.raises(NotPermitted):
            services.add_member(organisation=soforthilfe, user=UserFactory(), by=actor)
        with pytest.raises(NotPermitted):
            services.remove_member(organisation=soforthilfe, user=traeger, by=actor)


def test_a_member_does_not_manage_the_members_of_its_organisation(office, soforthilfe, unchanged):
    Membership.objects.create(organisation=soforthilfe, user=office)
    with unchanged(), pytest.raises(NotPermitted):
        services.remove_member(organisation=soforthilfe, user=office, by=office)


# --- bank details: four eyes ------------------------------------------------------------------


def test_defect_03_new_iban_waits_for_a_second_person(office, office2, soforthilfe):
    change = _enter(soforthilfe, office)

    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == OLD_IBAN
    assert change.state == BankDetailsChange.State.PENDING
    assert change.previous["iban"] == OLD_IBAN
    assert change.entered_by == office

    services.confirm_bank_details_change(change=change, by=office2)

    soforthilfe.refresh_from_db()
    change = BankDetailsChange.objects.get(pk=change.pk)
    assert soforthilfe.iban == NEW_IBAN
    assert soforthilfe.bic == "WELADED1HER"
    assert change.state == BankDetailsChange.State.CONFIRMED
    assert change.decided_by == office2
    assert change.decided_at is not None
    entered, confirmed = _entries(soforthilfe)
    assert (entered.action, entered.actor) == ("organisation.bank_details_entered", office)
    assert entered.data["new"]["iban"] == NEW_IBAN
    assert entered.data["previous"]["iban"] == OLD_IBAN
    assert (confirmed.action, confirmed.actor) == ("organisation.bank_details_confirmed", office2)
    assert confirmed.data["previous"]["iban"] == OLD_IBAN
    assert confirmed.data["new"]["iban"] == NEW_IBAN


def test_defect_03_finance_may_confirm(office, finance, soforthilfe):
    change = _enter(soforthilfe, office)
    services.confirm_bank_details_change(change=change, by=finance)
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == NEW_IBAN


def test_defect_03_who_entered_the_iban_cannot_confirm_it(office, soforthilfe, unchanged):
    change = _enter(soforthilfe, office)
    with unchanged(), pytest.raises(NotPermitted) as excinfo:
        services.confirm_bank_details_change(change=change, by=office)
    assert excinfo.value.code == "four_eyes"
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == OLD_IBAN


def test_defect_03_a_member_of_the_organisation_cannot_confirm(
    office, finance, soforthilfe, unchanged
):
    change = _enter(soforthilfe, office)
    Membership.objects.create(organisation=soforthilfe, user=finance)
    with unchanged(), pytest.raises(NotPermitted) as excinfo:
        services.confirm_bank_details_change(change=change, by=finance)
    assert excinfo.value.code == "own_organisation"
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == OLD_IBAN


def test_defect_03_a_member_of_the_organisation_cannot_enter_an_iban(
    office, soforthilfe, unchanged
):
    Membership.objects.create(organisation=soforthilfe, user=office)
    with unchanged(), pytest.raises(NotPermitted):
        _enter(soforthilfe, office)


@pytest.mark.parametrize("role", ["provider", "auditor", "steering_member", "chair"])
def test_defect_03_other_roles_cannot_confirm(office, soforthilfe, unchanged, role):
    change = _enter(soforthilfe, office)
    actor = user_with_role(role)
    with unchanged():
        with pytest.raises(NotPermitted):
            services.confirm_bank_details_change(change=change, by=actor)
        with pytest.raises(NotPermitted):
            services.reject_bank_details_change(change=change, by=actor)


@pytest.mark.parametrize("role", ["finance", "provider", "auditor"])
def test_only_the_office_enters_bank_details(soforthilfe, unchanged, role):
    with unchanged(), pytest.raises(NotPermitted):
        _enter(soforthilfe, user_with_role(role))


def test_defect_03_rejection_keeps_the_iban(office, office2, soforthilfe):
    change = _enter(soforthilfe, office)

    services.reject_bank_details_change(change=change, by=office2, reason="Rückruf ergab: falsch")

    soforthilfe.refresh_from_db()
    change = BankDetailsChange.objects.get(pk=change.pk)
    assert soforthilfe.iban == OLD_IBAN
    assert change.state == BankDetailsChange.State.REJECTED
    assert change.decided_by == office2
    assert change.reason == "Rückruf ergab: falsch"
    assert _entries(soforthilfe)[-1].action == "organisation.bank_details_rejected"
    assert _entries(soforthilfe)[-1].data["reason"] == "Rückruf ergab: falsch"


def test_who_entered_a_change_may_withdraw_it(office, soforthilfe):
    change = _enter(soforthilfe, office)
    services.reject_bank_details_change(change=change, by=office)
    change = BankDetailsChange.objects.get(pk=change.pk)
    assert change.state == BankDetailsChange.State.REJECTED


def test_a_decided_change_cannot_be_decided_again(office, office2, finance, soforthilfe, unchanged):
    change = _enter(soforthilfe, office)
    services.reject_bank_details_change(change=change, by=office2)
    with unchanged():
        with pytest.raises(OrganisationError) as excinfo:
            services.confirm_bank_details_change(change=change, by=finance)
        assert excinfo.value.code == "change_decided"
        with pytest.raises(OrganisationError):
            services.reject_bank_details_change(change=change, by=finance)


def test_one_pending_change_at_a_time(office, office2, soforthilfe, unchanged):
    _enter(soforthilfe, office)
    with unchanged(), pytest.raises(OrganisationError) as excinfo:
        _enter(soforthilfe, office2, iban="GB82WEST12345698765432")
    assert excinfo.value.code == "change_pending"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"iban": "DE89370400440532013001"}, "iban"),
        ({"iban": ""}, "iban"),
        ({"bic": "XX"}, "bic"),
        ({"account_holder": ""}, "account_holder"),
        ({"account_holder": "Mallory\u0007"}, "account_holder"),
        ({"creditor_number": "12"}, "creditor_number"),
    ],
)
def test_bank_details_are_validated(office, soforthilfe, unchanged, kwargs, field):
    with unchanged(), pytest.raises(InvalidInput) as excinfo:
        _enter(soforthilfe, office, **kwargs)
    assert field in excinfo.value.fields


def test_the_same_bank_details_are_no_change(office, soforthilfe, unchanged):
    with unchanged(), pytest.raises(InvalidInput) as excinfo:
        _enter(soforthilfe, office, iban=OLD_IBAN, bic="")
    assert excinfo.value.code == "bank_details_unchanged"


def test_iban_is_stored_compact(office, soforthilfe):
    change = _enter(soforthilfe, office, iban="de02 1203 0000 0000 2020 51", bic="weladed1her")
    assert change.iban == NEW_IBAN
    assert change.bic == "WELADED1HER"


def test_confirmation_tells_the_organisation(
    office, office2, soforthilfe, django_capture_on_commit_callbacks
):
    change = _enter(soforthilfe, office)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_bank_details_change(change=change, by=office2)

    [message] = mail.outbox
    assert sorted(message.to) == ["info@soforthilfe.example", "traeger@example.org"]
    assert "2051" in message.body
    assert NEW_IBAN not in message.body
    assert "Soforthilfe Herne e.V." in message.subject


def test_organisation_names_stay_unique(office, soforthilfe):
    other = services.create_organisation(
        by=office, name="Stadtsportbund Herne e.V.", kind="initiative"
    )
    with pytest.raises(InvalidInput):
        services.update_organisation(organisation=other, by=office, name="Soforthilfe Herne e.V.")
    assert Organisation.objects.get(pk=other.pk).name == "Stadtsportbund Herne e.V."
