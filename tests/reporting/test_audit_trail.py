"""The audit trail for the audit office (issue 13, part 6): filters, permissions, exports and
one application's timeline, on the demo (seeded once for this module)."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from fund_manager.applications.models import Application
from fund_manager.core.audit import log_action
from fund_manager.core.models import AuditEntry
from fund_manager.payments.models import PaymentRequest
from fund_manager.reporting import audit_trail
from tests.factories import OrganisationFactory, UserFactory, provider_user

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
TRAIL = reverse("reporting:audit_trail")
CSV = reverse("reporting:audit_trail_csv")
XLSX = reverse("reporting:audit_trail_xlsx")


@pytest.fixture
def demo(demo_data):
    return demo_data


@pytest.fixture
def auditor_client(client, demo):
    client.force_login(demo.users["pruefung"])
    return client


def _ids(response):
    """The entries on the page, in order (their row ids)."""
    return [row.entry.pk for row in response.context["rows"]]


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _entry_at(moment, obj, action="application.updated", by=None, data=None):
    with time_machine.travel(moment, tick=False):
        return log_action(obj=obj, action=action, by=by, data=data)


def _filtered(**params):
    return list(audit_trail.filtered_trail(params)[1].values_list("pk", flat=True))


# --- filters --------------------------------------------------------------------------------


def test_the_period_is_inclusive_in_berlin_time(demo):
    application = Application.objects.get(reference="VF-2017-0010")
    local = datetime.datetime
    before = _entry_at(local(2030, 3, 9, 23, 59, 59, tzinfo=BERLIN), application)
    first = _entry_at(local(2030, 3, 10, 0, 0, tzinfo=BERLIN), application)
    last = _entry_at(local(2030, 3, 11, 23, 59, 59, tzinfo=BERLIN), application)
    after = _entry_at(local(2030, 3, 12, 0, 0, tzinfo=BERLIN), application)
    # 2030-03-10 00:00 in Berlin is still the 9th in UTC: the filter counts local days.
    assert first.at.astimezone(datetime.UTC).day == 9

    found = _filtered(date_from="2030-03-10", date_to="2030-03-11")

    assert found == [last.pk, first.pk]
    assert before.pk not in found
    assert after.pk not in found
    assert _filtered(date_from="2030-03-12") == [after.pk]
    assert _filtered(date_from="2030-03-11", date_to="2030-03-11") == [last.pk]


def test_the_actor_filter_narrows_to_one_person_or_the_system(demo):
    finance = demo.users["kaemmerei"]
    system = AuditEntry.objects.filter(actor__isnull=True)

    found = _filtered(actor=str(finance.pk))

    assert found
    assert set(found) == set(AuditEntry.objects.filter(actor=finance).values_list("pk", flat=True))
    assert len(found) < AuditEntry.objects.count()
    assert set(_filtered(actor=audit_trail.SYSTEM)) == set(system.values_list("pk", flat=True))
    # The search by login name finds providers too (the select lists staff only).
    provider = demo.users["traeger"]
    by_name = AuditEntry.objects.filter(pk__in=_filtered(person=provider.username))
    mine = AuditEntry.objects.filter(actor=provider)
    assert mine.exists()
    assert set(by_name.values_list("pk", flat=True)) >= set(mine.values_list("pk", flat=True))
    assert all(provider.username in e.actor.username for e in by_name.select_related("actor"))


def test_the_actor_select_lists_staff_with_entries_not_providers(demo):
    values = {value for value, _label in audit_trail.actor_choices()}

    assert str(demo.users["projektbuero"].pk) in values
    assert str(demo.users["traeger"].pk) not in values
    assert audit_trail.SYSTEM in values


def test_the_kind_filter_narrows_to_one_kind_of_record(demo):
    payment_type = ContentType.objects.get_for_model(PaymentRequest)
    kinds = dict(audit_trail.kind_choices())

    found = _filtered(kind="payments.paymentrequest")

    assert str(kinds["payments.paymentrequest"]) == "Mittelabruf"
    assert found
    assert set(found) == set(
        AuditEntry.objects.filter(content_type=payment_type).values_list("pk", flat=True)
    )


def test_the_reference_finds_the_application_and_its_related_records(demo):
    application = Application.objects.get(reference="VF-2017-0010")
    payments = PaymentRequest.objects.filter(application=application)
    assert payments.exists()

    entries = AuditEntry.objects.filter(pk__in=_filtered(reference=" vf-2017-0010 "))

    kinds = set(entries.values_list("content_type__model", flat=True))
    assert {"application", "paymentrequest", "agendaitem"} <= kinds
    assert set(
        entries.filter(content_type__model="application").values_list("object_id", flat=True)
    ) == {str(application.pk)}
    assert set(
        entries.filter(content_type__model="paymentrequest").values_list("object_id", flat=True)
    ) == {str(pk) for pk in payments.values_list("pk", flat=True)}
    # A payment request's own key finds just its entries.
    payment = payments.first()
    by_key = AuditEntry.objects.filter(pk__in=_filtered(reference=payment.payment_key))
    assert set(by_key.values_list("object_id", flat=True)) == {str(payment.pk)}


def test_the_action_and_area_filters(demo):
    approved = _filtered(action="application.approved")
    payments = _filtered(area="payment.")

    assert approved
    assert set(AuditEntry.objects.filter(pk__in=approved).values_list("action", flat=True)) == {
        "application.approved"
    }
    assert payments
    assert all(
        code.startswith("payment.")
        for code in AuditEntry.objects.filter(pk__in=payments).values_list("action", flat=True)
    )
    assert len(payments) == AuditEntry.objects.filter(action__startswith="payment.").count()


@pytest.mark.parametrize(
    "query",
    [
        "date_from=2030-03-12&date_to=2030-03-10",
        "date_from=yesterday",
        "kind=nothing.here",
        "actor=999999",
        "action=application.flew_away",
        "area=nothing.",
        "page=zzz",
        "date_from=0001-01-01&date_to=9999-12-31",
        "reference=" + "x" * 300,
    ],
)
def test_bad_filter_input_is_answered_in_german_without_an_error(auditor_client, query):
    response = auditor_client.get(f"{TRAIL}?{query}")

    assert response.status_code == 200
    if not any(part in query for part in ("page=", "reference=", "0001-01-01")):
        assert response.context["filter"].form.errors
        assert response.context["rows"] == []
    content = response.content.decode()
    if "2030-03-12&date_to" in query:
        assert "Das Ende des Zeitraums darf nicht vor seinem Beginn liegen." in content
    # Exporting with the same bad filters goes back to the page with a message, never a 500.
    export = auditor_client.get(f"{CSV}?{query}")
    assert export.status_code in (200, 302)


# --- the page -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["traeger", "projektbuero", "kaemmerei", "vorsitz"])
def test_only_the_audit_office_reads_the_full_trail(client, demo, username):
    client.force_login(demo.users[username])

    for url in (TRAIL, CSV, XLSX):
        assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, demo):
    response = client.get(TRAIL)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_auditor_reads_the_newest_entries_first_with_state_names(auditor_client):
    response = auditor_client.get(f"{TRAIL}?kind=applications.application")

    assert response.status_code == 200
    rows = response.context["rows"]
    times = [row.entry.at for row in rows]
    assert times == sorted(times, reverse=True)
    content = response.content.decode()
    assert "Prüfpfad" in content
    assert any(row.state_to for row in rows)
    # States by their German names, never their codes.
    changed = next(row for row in rows if row.state_to)
    assert changed.state_to != changed.entry.state_to
    assert changed.state_to in content
    # The export links carry the filters.
    assert f"{CSV}?kind=applications.application" in content
    assert f"{XLSX}?kind=applications.application" in content
    # Applications' rows link to the timeline.
    assert "/reports/audit-trail/applications/" in content


def test_an_empty_result_says_what_to_do(auditor_client):
    response = auditor_client.get(f"{TRAIL}?date_from=2031-01-01")

    assert response.context["rows"] == []
    assert "Erweitern Sie den Zeitraum" in response.content.decode()


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_entries(demo, count):
    """``count`` new entries on an application, its payment request and its agenda item, naming
    a person, an action field and an amount in their data (newest, so on the first page)."""
    application = Application.objects.get(reference="VF-2017-0010")
    payment = PaymentRequest.objects.filter(application=application).first()
    item = application.agenda_items.first()
    for number in range(count):
        log_action(
            obj=[application, payment, item][number % 3],
            action="application.updated",
            by=demo.users["projektbuero"],
            data={"member": "lenkung1", "action_field": "x", "amount": "12.50"},
        )


def test_the_page_reads_in_a_constant_number_of_queries(
    auditor_client, demo, django_assert_max_num_queries
):
    _add_entries(demo, 3)
    few = _page_queries(auditor_client, TRAIL)
    _add_entries(demo, 300)

    with django_assert_max_num_queries(few):
        response = auditor_client.get(TRAIL)

    assert len(response.context["rows"]) == 25
    assert response.context["page_obj"].paginator.count > 700
    assert few <= 20
    # A filtered page too (the filters' own choices are read once each).
    with django_assert_max_num_queries(few + 2):
        auditor_client.get(f"{TRAIL}?reference=VF-2017-0010&date_from=2017-01-01")


# --- exports --------------------------------------------------------------------------------


def test_the_csv_holds_the_filtered_rows_in_the_page_order(auditor_client):
    query = "area=application.&date_to=2017-12-31"
    expected = list(
        audit_trail.filtered_trail({"area": "application.", "date_to": "2017-12-31"})[
            1
        ].values_list("object_id", "action", "at")
    )

    response = auditor_client.get(f"{CSV}?{query}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0] == list(audit_trail.EXPORT_HEADERS)
    body = rows[1:]
    assert len(body) == len(expected) > 20
    assert [(row[4], row[6]) for row in body] == [(obj, action) for obj, action, _at in expected]
    assert [datetime.datetime.fromisoformat(row[0]) for row in body] == [at for *_r, at in expected]
    first = body[0]
    assert first[0].endswith(("+01:00", "+02:00"))  # local time, with its offset
    assert first[3] == "Antrag"
    assert first[5].startswith("VF-2017-")
    assert all(row[7] and row[7] != row[6] for row in body)  # the action in German


def test_cells_that_a_spreadsheet_would_run_are_escaped(auditor_client, demo):
    application = Application.objects.get(reference="VF-2017-0010")
    mischief = UserFactory(username="@mischief", first_name="=HYPERLINK(1)", last_name="")
    log_action(obj=application, action="application.updated", by=mischief, data={"note": "-1"})

    rows = _csv(auditor_client.get(f"{CSV}?person=mischief"))

    assert len(rows) == 2
    row = rows[1]
    assert row[1] == "'@mischief"
    assert row[2] == "'=HYPERLINK(1)"
    assert row[10] == '{"note": "-1"}'


def test_the_xlsx_opens_with_the_same_rows(auditor_client):
    expected = audit_trail.filtered_trail({"kind": "payments.paymentrequest"})[1].count()

    response = auditor_client.get(f"{XLSX}?kind=payments.paymentrequest")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == list(audit_trail.EXPORT_HEADERS)
    assert len(rows) - 1 == expected > 0
    assert {row[3] for row in rows[1:]} == {"Mittelabruf"}


def test_a_too_large_xlsx_asks_to_narrow_the_period(auditor_client, monkeypatch):
    monkeypatch.setattr(audit_trail, "XLSX_MAX_ROWS", 3)

    response = auditor_client.get(f"{XLSX}?area=application.")

    assert response.status_code == 302
    assert response["Location"] == f"{TRAIL}?area=application."


# --- one application's timeline -------------------------------------------------------------


def _timeline(client, application):
    return client.get(reverse("reporting:application_timeline", args=[application.pk]))


def test_the_timeline_shows_the_events_in_order_with_state_changes(auditor_client):
    application = Application.objects.get(reference="VF-2017-0010")

    response = _timeline(auditor_client, application)

    assert response.status_code == 200
    rows = [row for day in response.context["days"] for row in day.rows]
    times = [row.entry.at for row in rows]
    assert times == sorted(times)
    days = [day.day for day in response.context["days"]]
    assert days == sorted(set(days))
    models = {row.entry.content_type.model for row in rows}
    assert {"application", "paymentrequest", "agendaitem"} <= models
    actions = [row.entry.action for row in rows]
    assert actions.index("application.submitted") < actions.index("application.approved")
    content = response.content.decode()
    submitted = next(row for row in rows if row.entry.action == "application.submitted")
    assert (submitted.state_from, submitted.state_to) == ("Entwurf", "Eingereicht")
    assert "Eingereicht" in content
    assert "VF-2017-0010" in content
    # The audit office also reads how each member voted.
    assert "agenda_item.vote_cast" in actions


def test_the_project_office_reads_the_timeline_without_the_votes(client, demo):
    application = Application.objects.get(reference="VF-2017-0010")
    client.force_login(demo.users["projektbuero"])

    response = _timeline(client, application)

    assert response.status_code == 200
    actions = {row.entry.action for day in response.context["days"] for row in day.rows}
    assert "application.approved" in actions
    assert not actions & set(audit_trail.VOTE_ACTIONS)


def test_providers_and_other_staff_get_no_timeline(client, demo):
    application = Application.objects.get(reference="VF-2017-0010")
    other = provider_user(OrganisationFactory())
    own = provider_user(application.organisation)

    for user in (other, own, demo.users["kaemmerei"], demo.users["lenkung1"]):
        client.force_login(user)
        assert _timeline(client, application).status_code in (403, 404)


def test_a_draft_has_no_timeline_for_staff(auditor_client, demo):
    draft = Application.objects.filter(submitted_at__isnull=True).first()
    assert draft is not None

    assert _timeline(auditor_client, draft).status_code == 404


def test_the_application_history_shows_the_state_change(client, demo):
    application = Application.objects.get(reference="VF-2017-0010")
    client.force_login(demo.users["projektbuero"])

    content = client.get(reverse("applications:detail", args=[application.pk])).content.decode()

    assert "Entwurf" in content
    assert "wechselt zu" in content


def test_the_timeline_reads_in_a_constant_number_of_queries(auditor_client, demo):
    application = Application.objects.get(reference="VF-2017-0010")
    _add_entries(demo, 3)
    few = _page_queries(
        auditor_client, reverse("reporting:application_timeline", args=[application.pk])
    )
    _add_entries(demo, 90)

    many = _page_queries(
        auditor_client, reverse("reporting:application_timeline", args=[application.pk])
    )

    assert many == few
