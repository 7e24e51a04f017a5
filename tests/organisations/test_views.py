"""The organisation pages: who sees what, and every change through the services."""

import pytest
from django.urls import reverse

from fund_manager.core.models import AuditEntry
from fund_manager.organisations import services
from fund_manager.organisations.models import BankDetailsChange, Membership, Organisation
from tests.factories import OrganisationFactory, UserFactory, provider_user, user_with_role

from .conftest import NEW_IBAN, OLD_IBAN


def _url(name, *args):
    return reverse(f"organisations:{name}", args=args)


def _enter(organisation, by):
    return services.request_bank_details_change(
        organisation=organisation,
        iban=NEW_IBAN,
        bic="",
        account_holder="Soforthilfe Herne e.V.",
        creditor_number="100200",
        by=by,
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["provider", "steering_member", "chair"])
def test_other_roles_get_403_everywhere(client, soforthilfe, office, role, unchanged):
    user = (
        soforthilfe.members.get(username="traeger") if role == "provider" else user_with_role(role)
    )
    change = _enter(soforthilfe, office)
    client.force_login(user)
    pk = soforthilfe.pk
    gets = [
        _url("list"),
        _url("create"),
        _url("detail", pk),
        _url("edit", pk),
        _url("bank_details", pk),
        _url("bank_change_confirm", pk, change.pk),
        _url("bank_change_reject", pk, change.pk),
    ]
    for url in gets:
        assert client.get(url).status_code == 403, url
    with unchanged():
        assert client.post(_url("edit", pk), {"name": "X", "kind": "provider"}).status_code == 403
        assert client.post(_url("member_add", pk), {"username": "traeger"}).status_code == 403
        assert client.post(_url("bank_change_confirm", pk, change.pk)).status_code == 403
        assert client.post(_url("bank_change_reject", pk, change.pk)).status_code == 403
        traeger = soforthilfe.members.get(username="traeger")
        assert client.post(_url("member_remove", pk, traeger.pk)).status_code == 403


def test_provider_does_not_see_another_organisation(client, soforthilfe):
    other = OrganisationFactory(name="Stadtsportbund Herne e.V.")
    client.force_login(provider_user(other, username="traeger2"))
    response = client.get(_url("detail", soforthilfe.pk))
    assert response.status_code == 403
    assert b"Soforthilfe" not in response.content


def test_anonymous_is_sent_to_login(client, soforthilfe):
    response = client.get(_url("detail", soforthilfe.pk))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_unknown_organisation_is_404(client, office):
    client.force_login(office)
    assert client.get(_url("detail", 99999)).status_code == 404


def test_office_sees_list_with_search_and_pagination(client, office, settings, soforthilfe):
    settings.FM_PAGE_SIZE = 2
    OrganisationFactory(name="Stadtsportbund Herne e.V.", city="Herne")
    OrganisationFactory(name="Caritasverband Herne e.V.", city="Herne")
    client.force_login(office)

    first = client.get(_url("list"))
    assert first.status_code == 200
    assert [o.name for o in first.context["page_obj"]] == [
        "Caritasverband Herne e.V.",
        "Soforthilfe Herne e.V.",
    ]
    second = client.get(_url("list"), {"page": 2})
    assert [o.name for o in second.context["page_obj"]] == ["Stadtsportbund Herne e.V."]

    found = client.get(_url("list"), {"q": "traeger"})
    assert [o.name for o in found.context["page_obj"]] == ["Soforthilfe Herne e.V."]
    none = client.get(_url("list"), {"q": "nichts"})
    assert list(none.context["page_obj"]) == []
    assert "Keine Organisation passt zu dieser Suche." in none.content.decode()


def test_list_query_count_is_bounded(client, office, django_assert_max_num_queries):
    for n in range(10):
        provider_user(OrganisationFactory(name=f"Träger {n}"))
    client.force_login(office)
    with django_assert_max_num_queries(12):
        assert client.get(_url("list")).status_code == 200


def test_navigation_links_the_page_for_office_finance_and_auditor(client, office, finance, auditor):
    for user in (office, finance, auditor):
        client.force_login(user)
        assert _url("list") in client.get(reverse("accessibility")).content.decode()
    client.force_login(provider_user(username="traeger9"))
    assert _url("list") not in client.get(reverse("accessibility")).content.decode()


def test_detail_shows_data_members_bank_and_pending_change(client, office, soforthilfe):
    _enter(soforthilfe, office)
    client.force_login(office)
    response = client.get(_url("detail", soforthilfe.pk))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Bahnhofstraße 1" in content
    assert "traeger" in content
    assert OLD_IBAN in content
    assert NEW_IBAN in content
    # The one who entered it sees no confirm button, only withdraw.
    assert not response.context["may_confirm"]
    assert response.context["may_reject"]


def test_auditor_reads_but_gets_no_buttons_and_cannot_change(
    client, auditor, office, soforthilfe, unchanged
):
    change = _enter(soforthilfe, office)
    client.force_login(auditor)
    response = client.get(_url("detail", soforthilfe.pk))
    assert response.status_code == 200
    assert not response.context["may_manage"]
    assert not response.context["may_confirm"]
    assert not response.context["may_reject"]
    assert _url("edit", soforthilfe.pk) not in response.content.decode()
    with unchanged():
        assert (
            client.post(_url("bank_change_confirm", soforthilfe.pk, change.pk)).status_code == 403
        )
        assert client.post(_url("edit", soforthilfe.pk), {"name": "X"}).status_code == 403
        assert (
            client.post(_url("bank_details", soforthilfe.pk), {"iban": NEW_IBAN}).status_code == 403
        )


# --- data and members -------------------------------------------------------------------------


def test_office_registers_and_edits_an_organisation(client, office):
    client.force_login(office)
    response = client.post(
        _url("create"),
        {"name": "Caritasverband Herne e.V.", "kind": "provider", "city": "Herne"},
    )
    organisation = Organisation.objects.get(name="Caritasverband Herne e.V.")
    assert response.status_code == 302
    response = client.post(
        _url("edit", organisation.pk),
        {
            "name": "Caritasverband Herne e.V.",
            "kind": "provider",
            "city": "Herne",
            "street": "Hauptstraße 5",
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.street == "Hauptstraße 5"
    assert list(
        AuditEntry.objects.for_object(organisation).values_list("action", flat=True).order_by("pk")
    ) == ["organisation.created", "organisation.updated"]


def test_bad_input_shows_errors_and_saves_nothing(client, office, soforthilfe, unchanged):
    client.force_login(office)
    with unchanged():
        response = client.post(
            _url("edit", soforthilfe.pk),
            {"name": "Soforthilfe Herne e.V.", "kind": "provider", "email": "kaputt"},
        )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]


def test_office_adds_and_removes_a_member(client, office, soforthilfe):
    UserFactory(username="vhs")
    client.force_login(office)

    response = client.post(_url("member_add", soforthilfe.pk), {"username": "VHS"})
    assert response.status_code == 302
    vhs = soforthilfe.members.get(username="vhs")

    confirm = client.get(_url("member_remove", soforthilfe.pk, vhs.pk))
    assert confirm.status_code == 200
    assert soforthilfe.members.filter(username="vhs").exists()  # GET changes nothing
    client.post(_url("member_remove", soforthilfe.pk, vhs.pk))
    assert not soforthilfe.members.filter(username="vhs").exists()
    assert list(
        AuditEntry.objects.for_object(soforthilfe).values_list("action", flat=True).order_by("pk")
    ) == ["organisation.member_added", "organisation.member_removed"]


def test_unknown_username_is_a_field_error(client, office, soforthilfe, unchanged):
    client.force_login(office)
    with unchanged():
        response = client.post(_url("member_add", soforthilfe.pk), {"username": "niemand"})
    assert response.status_code == 400
    assert response.context["member_form"].errors["username"]


# --- bank details: four eyes through the pages ------------------------------------------------


def test_defect_03_bank_details_through_the_pages_need_two_people(
    client, office, finance, soforthilfe
):
    client.force_login(office)
    response = client.post(
        _url("bank_details", soforthilfe.pk),
        {"iban": "DE02 1203 0000 0000 2020 51", "account_holder": "Soforthilfe Herne e.V."},
    )
    assert response.status_code == 302
    change = BankDetailsChange.objects.get()
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == OLD_IBAN

    # The same person cannot confirm: refused with a message, nothing changes.
    response = client.post(_url("bank_change_confirm", soforthilfe.pk, change.pk), follow=True)
    assert any("second person" in m or "zweite Person" in m for m in _messages(response))
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == OLD_IBAN
    assert BankDetailsChange.objects.get().state == BankDetailsChange.State.PENDING

    client.force_login(finance)
    page = client.get(_url("bank_change_confirm", soforthilfe.pk, change.pk))
    assert page.status_code == 200
    assert NEW_IBAN in page.content.decode()
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == OLD_IBAN  # the confirmation page changes nothing
    client.post(_url("bank_change_confirm", soforthilfe.pk, change.pk))
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == NEW_IBAN
    assert (
        AuditEntry.objects.for_object(soforthilfe)
        .filter(action="organisation.bank_details_confirmed", actor=finance)
        .exists()
    )


def test_defect_03_member_of_the_organisation_cannot_confirm_through_the_page(
    client, office, finance, soforthilfe
):
    change = _enter(soforthilfe, office)
    Membership.objects.create(organisation=soforthilfe, user=finance)
    client.force_login(finance)
    detail = client.get(_url("detail", soforthilfe.pk))
    assert not detail.context["may_confirm"]
    client.post(_url("bank_change_confirm", soforthilfe.pk, change.pk))
    soforthilfe.refresh_from_db()
    assert soforthilfe.iban == OLD_IBAN


def test_defect_03_rejection_through_the_page_keeps_the_iban(client, office, office2, soforthilfe):
    change = _enter(soforthilfe, office)
    client.force_login(office2)
    assert client.get(_url("bank_change_reject", soforthilfe.pk, change.pk)).status_code == 200
    client.post(
        _url("bank_change_reject", soforthilfe.pk, change.pk), {"reason": "Rückruf: unbekannt"}
    )
    soforthilfe.refresh_from_db()
    decided = BankDetailsChange.objects.get()
    assert soforthilfe.iban == OLD_IBAN
    assert decided.state == BankDetailsChange.State.REJECTED
    assert decided.reason == "Rückruf: unbekannt"


def test_invalid_iban_is_a_field_error(client, office, soforthilfe, unchanged):
    client.force_login(office)
    with unchanged():
        response = client.post(
            _url("bank_details", soforthilfe.pk),
            {"iban": "DE89370400440532013001", "account_holder": "X"},
        )
    assert response.status_code == 200
    assert response.context["form"].errors["iban"]


def test_second_entry_while_one_is_pending_is_refused(client, office, office2, soforthilfe):
    _enter(soforthilfe, office)
    client.force_login(office2)
    response = client.get(_url("bank_details", soforthilfe.pk))
    assert response.status_code == 302
    assert BankDetailsChange.objects.count() == 1


def test_pages_are_german(client, office, soforthilfe):
    _enter(soforthilfe, UserFactory(username="x", roles=["project_office"]))
    client.force_login(office)
    content = client.get(_url("detail", soforthilfe.pk)).content.decode()
    assert "Bankverbindung" in content
    assert "Mitglieder" in content
