"""The provider portal and the staff list, through the HTTP layer."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fund_manager.applications.models import Application, Attachment, State
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    provider_user,
    user_with_role,
)
from workflows import services as use_cases

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


# The shared fixtures of tests/conftest.py under the names these tests use.
@pytest.fixture
def year(fiscal_year):
    return fiscal_year


@pytest.fixture
def field(action_field):
    return action_field


@pytest.fixture
def group(target_group):
    return target_group


def form_data(field, group, **overrides):
    start = timezone.localdate() + datetime.timedelta(days=20)
    data = {
        "title": "Sprachcafé",
        "summary": "Ein Treffpunkt",
        "project_kind": "model",
        "approach": "Neu und nachhaltig",
        "action_field": str(field.pk),
        "target_groups": [str(group.pk)],
        "location": "Herne",
        "start_date": start.isoformat(),
        "end_date": (start + datetime.timedelta(days=60)).isoformat(),
        "own_funds": "100,00",
        "third_party_funds": "",
        "third_party_funds_source": "",
        "declares_not_otherwise_financeable": "on",
        "declares_not_started": "on",
        "cost-TOTAL_FORMS": "2",
        "cost-INITIAL_FORMS": "0",
        "cost-MIN_NUM_FORMS": "0",
        "cost-MAX_NUM_FORMS": "100",
        "cost-0-category": "personnel",
        "cost-0-description": "Honorar",
        "cost-0-amount": "1.234,56",
        "cost-1-category": "material",
        "cost-1-description": "Material",
        "cost-1-amount": "250",
    }
    data.update(overrides)
    return data


def test_provider_creates_a_draft_with_german_amounts(client, provider, field, group):
    client.force_login(provider)
    response = client.post(reverse("applications:create"), form_data(field, group))
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:detail", args=[application.pk])
    assert application.state == State.DRAFT
    assert application.total_costs == Decimal("1484.56")
    assert application.requested_amount == Decimal("1384.56")
    assert [item.amount for item in application.cost_items.all()] == [
        Decimal("1234.56"),
        Decimal("250.00"),
    ]
    assert list(application.target_groups.all()) == [group]


def test_a_removed_cost_row_is_not_saved(client, provider, field, group):
    client.force_login(provider)
    client.post(reverse("applications:create"), form_data(field, group, **{"cost-1-DELETE": "on"}))
    application = Application.objects.get()
    assert application.cost_items.count() == 1
    assert application.total_costs == Decimal("1234.56")


@pytest.mark.parametrize(
    ("overrides", "field_name"),
    [
        ({"cost-0-amount": "-5,00"}, "amount"),
        ({"cost-0-amount": "0"}, "amount"),
        ({"cost-0-amount": "12,345"}, "amount"),
        ({"cost-0-amount": "zwölf"}, "amount"),
        ({"own_funds": "-1,00"}, "own_funds"),
        ({"own_funds": "1,001"}, "own_funds"),
        ({"own_funds": "1x"}, "own_funds"),
        ({"end_date": "2000-01-01"}, "end_date"),
    ],
)
def test_bad_input_shows_an_error_and_saves_nothing(
    client, provider, field, group, overrides, field_name
):
    client.force_login(provider)
    response = client.post(reverse("applications:create"), form_data(field, group, **overrides))
    assert response.status_code == 200
    assert Application.objects.count() == 0
    errors = dict(response.context["form"].errors)
    for form in response.context["formset"]:
        errors.update(form.errors)
    assert field_name in errors


def test_provider_cannot_edit_a_submitted_application(client, provider, submitted, field, group):
    client.force_login(provider)
    before = Application.objects.get(pk=submitted.pk)
    response = client.post(
        reverse("applications:edit", args=[submitted.pk]),
        form_data(field, group, title="Geändert"),
    )
    assert response.status_code == 302
    after = Application.objects.get(pk=submitted.pk)
    assert after.title == before.title
    assert after.updated_at == before.updated_at


def test_edit_changes_a_draft(client, provider, draft, field, group):
    client.force_login(provider)
    data = form_data(field, group, title="Neuer Titel")
    response = client.post(reverse("applications:edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Neuer Titel"
    assert draft.requested_amount == Decimal("1384.56")


@pytest.mark.parametrize(
    "name",
    ["applications:detail", "applications:edit", "applications:submit", "applications:withdraw"],
)
def test_another_providers_application_is_not_found(client, other_provider, submitted, name):
    client.force_login(other_provider)
    assert client.get(reverse(name, args=[submitted.pk])).status_code == 404
    assert client.post(reverse(name, args=[submitted.pk])).status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED


def test_staff_do_not_see_drafts(client, office, draft):
    client.force_login(office)
    assert client.get(reverse("applications:detail", args=[draft.pk])).status_code == 404


def test_submit_page_lists_what_is_missing(client, provider, draft):
    Application.objects.filter(pk=draft.pk).update(declares_not_started=False)
    client.force_login(provider)
    response = client.get(reverse("applications:submit", args=[draft.pk]))
    assert [p.field for p in response.context["problems"]] == ["declares_not_started"]
    response = client.post(reverse("applications:submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert draft.reference is None


def test_submit_and_withdraw_through_the_pages(client, provider, draft):
    client.force_login(provider)
    response = client.post(reverse("applications:submit", args=[draft.pk]), follow=True)
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED
    assert b"state-submitted" in response.content
    response = client.post(
        reverse("applications:withdraw", args=[draft.pk]), {"note": "Kein Bedarf mehr"}
    )
    draft.refresh_from_db()
    assert draft.state == State.WITHDRAWN


def test_delete_draft_asks_first(client, provider, draft):
    client.force_login(provider)
    response = client.get(reverse("applications:delete", args=[draft.pk]))
    assert response.status_code == 200
    assert Application.objects.filter(pk=draft.pk).exists()
    client.post(reverse("applications:delete", args=[draft.pk]))
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_attachment_upload_download_and_visibility(client, provider, other_provider, office, draft):
    client.force_login(provider)
    upload = SimpleUploadedFile("Konzept.pdf", PDF, content_type="application/pdf")
    client.post(reverse("applications:attachment_upload", args=[draft.pk]), {"file": upload})
    attachment = Attachment.objects.get()
    url = reverse("applications:attachment_download", args=[draft.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]

    client.force_login(office)
    assert client.get(url).status_code == 404  # a draft is the applicant's own
    use_cases.submit_application(application=draft, by=provider)
    response = client.get(url)
    assert response.status_code == 200
    # Reading the stream lets the test client close the file (response.close() outside the
    # client would fire request_finished and close the database connection on PostgreSQL).
    assert b"".join(response.streaming_content) == PDF

    client.force_login(other_provider)
    assert client.get(url).status_code == 404


def test_a_forbidden_file_type_is_refused(client, provider, draft):
    client.force_login(provider)
    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = client.post(
        reverse("applications:attachment_upload", args=[draft.pk]), {"file": upload}, follow=True
    )
    assert Attachment.objects.count() == 0
    assert any("PDF" in str(m) for m in response.context["messages"])


def test_a_file_that_is_too_large_is_refused(client, provider, draft, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    client.force_login(provider)
    upload = SimpleUploadedFile("Konzept.pdf", PDF, content_type="application/pdf")
    client.post(reverse("applications:attachment_upload", args=[draft.pk]), {"file": upload})
    assert Attachment.objects.count() == 0


def _many_submitted(count, year):
    organisation = OrganisationFactory()
    user = provider_user(organisation)
    for _ in range(count):
        application = ApplicationFactory(
            organisation=organisation, created_by=user, fiscal_year=year
        )
        use_cases.submit_application(application=application, by=user)


@pytest.mark.parametrize("count", [3, 30])
def test_staff_list_query_count_is_constant(
    client, office, year, count, django_assert_max_num_queries
):
    _many_submitted(count, year)
    client.force_login(office)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("applications:staff_list"))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(count, 25)


def test_staff_list_filters_and_search(client, office, year):
    _many_submitted(3, year)
    first = Application.objects.order_by("id").first()
    client.force_login(office)
    url = reverse("applications:staff_list")

    def shown(**params):
        response = client.get(url, params)
        return {a.pk for a in response.context["page_obj"].object_list}

    assert shown(q=first.reference) == {first.pk}
    assert shown(q=first.title) == {first.pk}
    assert len(shown(state="submitted")) == 3
    assert shown(state="eligible") == set()
    assert len(shown(fiscal_year=year.pk)) == 3
    assert shown(organisation=first.organisation_id, action_field=first.action_field_id) == {
        first.pk
    }


def test_staff_list_paginates(client, office, year):
    _many_submitted(27, year)
    client.force_login(office)
    response = client.get(reverse("applications:staff_list"), {"page": 2, "state": "submitted"})
    page = response.context["page_obj"]
    assert page.number == 2
    assert len(page.object_list) == 2
    assert "state=submitted" in response.content.decode()


def test_provider_may_not_open_the_staff_list(client, provider):
    client.force_login(provider)
    assert client.get(reverse("applications:staff_list")).status_code == 403


def test_staff_may_not_create_applications(client, office):
    client.force_login(office)
    assert client.get(reverse("applications:create")).status_code == 403


def test_my_list_shows_the_empty_state(client, provider):
    client.force_login(provider)
    response = client.get(reverse("applications:mine"))
    assert response.status_code == 200
    assert reverse("applications:create") in response.content.decode()
    assert not response.context["page_obj"].object_list


def test_auditor_reads_but_cannot_edit(client, submitted):
    auditor = user_with_role("auditor")
    client.force_login(auditor)
    assert client.get(reverse("applications:detail", args=[submitted.pk])).status_code == 200
    assert client.get(reverse("applications:edit", args=[submitted.pk])).status_code == 403


def test_saving_an_unchanged_cost_plan_keeps_every_row(client, provider, draft):
    client.force_login(provider)
    page = client.get(reverse("applications:edit", args=[draft.pk]))
    form, formset = page.context["form"], page.context["formset"]
    data = {
        name: value
        for name, value in {**form.initial, "title": draft.title}.items()
        if value not in (None, "")
    }
    data["action_field"] = draft.action_field_id
    data["target_groups"] = [g.pk for g in draft.target_groups.all()]
    for key in ("start_date", "end_date"):
        data[key] = getattr(draft, key).isoformat()
    for key in ("own_funds", "third_party_funds"):
        data[key] = str(getattr(draft, key)).replace(".", ",")
    for key in [k for k, v in data.items() if v is True]:
        data[key] = "on"
    data.update(
        {f"cost-{k}": v for k, v in formset.management_form.initial.items()},
    )
    for index, row in enumerate(formset.forms):
        data[f"cost-{index}-category"] = row.initial["category"]
        data[f"cost-{index}-description"] = row.initial["description"]
        data[f"cost-{index}-amount"] = str(row.initial["amount"]).replace(".", ",")
    before = [(i.description, i.amount) for i in draft.cost_items.all()]
    response = client.post(reverse("applications:edit", args=[draft.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert [(i.description, i.amount) for i in draft.cost_items.all()] == before


# --- defect 7: dates outside the window; pages stay up for dates stored before the check -----
def test_defect_07_the_form_refuses_a_date_outside_the_window(client, provider, year, field, group):
    client.force_login(provider)
    response = client.post(
        reverse("applications:create"),
        form_data(field, group, start_date="9999-12-01", end_date="9999-12-31"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    expected = (
        f"Bitte geben Sie ein Datum zwischen dem 01.01.{year.year - 1} und dem "
        f"31.12.{year.year + 2} ein: Projekte des Haushaltsjahres {year.year} finden in "
        "diesem Zeitraum statt."
    )
    assert errors["start_date"] == [expected]
    assert errors["end_date"] == [expected]
    assert Application.objects.count() == 0


def test_defect_07_pages_of_an_application_with_extreme_dates_answer(client, provider, draft):
    # Stored before the window existed (or by a factory): the pages must still work.
    Application.objects.filter(pk=draft.pk).update(
        start_date=datetime.date(9999, 12, 1), end_date=datetime.date.max
    )
    client.force_login(provider)

    assert client.get(reverse("applications:detail", args=[draft.pk])).status_code == 200
    assert client.get(reverse("applications:edit", args=[draft.pk])).status_code == 200
    assert client.get(reverse("applications:submit", args=[draft.pk])).status_code == 200
    response = client.post(reverse("applications:submit", args=[draft.pk]))
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert draft.reference is None
    assert draft.start_date == datetime.date(9999, 12, 1)


# --- defects 8, 10, 11 through the form ------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field_name", "message"),
    [
        ({"title": "Sprachcafé\u0001\u0002"}, "title", "Steuerzeichen"),
        ({"location": "Herne\tMitte"}, "location", "Steuerzeichen"),
        ({"summary": "Treffen\u0007"}, "summary", "Steuerzeichen"),
        ({"cost-0-description": "Honorar\u0001"}, "description", "Steuerzeichen"),
        ({"own_funds": "١٢٣,٤٥"}, "own_funds", "ist kein gültiger Betrag"),
        ({"cost-0-amount": "１２３,００"}, "amount", "ist kein gültiger Betrag"),
        ({"summary": "x" * 5001}, "summary", "5000"),
        ({"approach": "x" * 100_000}, "approach", "5000"),
    ],
)
def test_defect_08_10_11_the_form_refuses_and_saves_nothing(
    client, provider, field, group, overrides, field_name, message
):
    client.force_login(provider)
    response = client.post(reverse("applications:create"), form_data(field, group, **overrides))
    assert response.status_code == 200
    assert Application.objects.count() == 0
    errors = dict(response.context["form"].errors)
    for form in response.context["formset"]:
        errors.update(form.errors)
    assert message in " ".join(errors[field_name]), errors


def test_defect_11_the_form_takes_its_limits_from_the_model():
    from fund_manager.applications.forms import ApplicationForm, CostItemForm
    from fund_manager.applications.models import CostItem

    for name in ("title", "summary", "approach", "location", "third_party_funds_source"):
        assert (
            ApplicationForm.base_fields[name].max_length
            == Application._meta.get_field(name).max_length
        ), name
    assert (
        CostItemForm.base_fields["description"].max_length
        == CostItem._meta.get_field("description").max_length
    )
