import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from tests.factories import ApplicationFactory, OrganisationFactory
from workflows import services as use_cases

LIST = "/api/v1/applications/"


def test_provider_lists_only_its_organisations_applications(api, provider, draft, other_provider):
    foreign = ApplicationFactory(organisation=other_provider.organisations.get())

    response = api(provider).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [row["id"] for row in body["results"]] == [draft.pk]
    assert foreign.pk not in [row["id"] for row in body["results"]]


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("get", "", None),
        ("patch", "", {"title": "Übernommen"}),
        ("delete", "", None),
        ("post", "submit/", None),
        ("post", "withdraw/", {"reason": "x"}),
        ("get", "history/", None),
    ],
)
@pytest.mark.parametrize("fixture", ["draft", "submitted"])
def test_another_providers_application_does_not_exist(
    api, other_provider, request, fixture, method, action, body
):
    application = request.getfixturevalue(fixture)
    before = (Application.objects.get(pk=application.pk).state, AuditEntry.objects.count())

    response = getattr(api(other_provider), method)(
        f"/api/v1/applications/{application.pk}/{action}", body, format="json"
    )

    assert response.status_code == 404
    assert (Application.objects.get(pk=application.pk).state, AuditEntry.objects.count()) == before
    # The same answer as for an id that was never used.
    missing = getattr(api(other_provider), method)(
        f"/api/v1/applications/999999/{action}", body, format="json"
    )
    assert missing.status_code == 404
    assert missing.json() == response.json()


def test_staff_see_submitted_applications_but_not_drafts(api, office, submitted):
    draft = ApplicationFactory()
    client = api(office)

    listed = client.get(LIST).json()["results"]

    assert [row["id"] for row in listed] == [submitted.pk]
    assert client.get(f"{LIST}{submitted.pk}/").status_code == 200
    assert client.get(f"{LIST}{draft.pk}/").status_code == 404


def test_a_user_without_role_sees_nothing(api, submitted):
    from tests.factories import UserFactory

    response = api(UserFactory()).get(LIST)

    assert response.json()["count"] == 0


def test_filters(api, provider, organisation):
    client = api(provider)
    first = ApplicationFactory(organisation=organisation, title="Sprachcafé")
    second = ApplicationFactory(organisation=organisation, title="Theaterwerkstatt")
    use_cases.submit_application(application=second, by=provider)
    second.refresh_from_db()

    def ids(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(state="draft") == [first.pk]
    assert ids(state="submitted") == [second.pk]
    assert ids(action_field=first.action_field.code) == [first.pk]
    assert ids(organisation=organisation.pk) == [second.pk, first.pk]
    assert ids(organisation=OrganisationFactory().pk) == []
    assert ids(fiscal_year=first.fiscal_year_id) == [second.pk, first.pk]
    assert ids(fiscal_year=first.fiscal_year_id + 1000) == []
    assert ids(search="sprach") == [first.pk]
    assert ids(search=second.reference.lower()) == [second.pk]
    assert ids(fund="integration") == [second.pk, first.pk]


@pytest.mark.parametrize("params", [{"state": "kaputt"}, {"organisation": "abc"}])
def test_bad_filter_values_are_a_400(api, provider, params):
    assert api(provider).get(LIST, params).status_code == 400


def test_not_a_number_id_is_a_404(api, provider):
    assert api(provider).get(f"{LIST}abc/").status_code == 404


def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_list_query_count_does_not_grow_with_the_rows(
    api, provider, organisation, django_assert_max_num_queries
):
    client = api(provider)
    for _ in range(5):
        ApplicationFactory(organisation=organisation)
    few, count = _list_queries(client)
    assert count == 5
    for _ in range(20):
        ApplicationFactory(organisation=organisation)
    use_cases.submit_application(
        application=Application.objects.filter(state=State.DRAFT).first(), by=provider
    )

    with django_assert_max_num_queries(few):
        response = client.get(LIST)

    assert response.json()["count"] == 25
    assert few <= 8
