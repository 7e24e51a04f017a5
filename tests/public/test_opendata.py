"""Open data (issue 13, item 5): the public page and the CSV/JSON/DCAT downloads of the funded
projects, without personal data.

The world: the whole demo, plus two private persons (natural persons) with one approved project
each (one with the consent to publish the name, one without) and a fund that does not publish
open data, with an approved project of its own."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fund_manager.applications.models import Application, State
from fund_manager.applications.services import decision_snapshot
from fund_manager.core.audit import log_action
from fund_manager.funds.models import Fund, OpenDataLicence
from fund_manager.organisations.models import Organisation
from fund_manager.public import opendata
from tests.conftest import module_data
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    FundFactory,
    OrganisationFactory,
    TargetGroupFactory,
    force_state_with_approval,
    provider_user,
)

pytestmark = pytest.mark.django_db

DOWNLOADS = ("public:opendata_csv", "public:opendata_json", "public:opendata_dcat")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
IBAN = re.compile(r"\bDE\d{2}\s?(?:\d{4}\s?){4}\d{2}\b")
WITHHELD = "Privatperson (Name nicht veröffentlicht)"


def _approve(application, by):
    """Approved as the round's decision records it: commitment booked, decision audited with
    its snapshot (what the statistics and so the open data read)."""
    force_state_with_approval(application, State.APPROVED)
    application.refresh_from_db()
    log_action(
        obj=application,
        action="application.approved",
        by=by,
        data={
            "round": "",
            "round_id": None,
            "outcome": "approved",
            "snapshot": decision_snapshot(application, approved_amount=application.approved_amount),
        },
        state_from=State.SCHEDULED,
        state_to=State.APPROVED,
    )
    return application


def _person(name, first, last):
    organisation = OrganisationFactory(
        name=name,
        kind=Organisation.Kind.INITIATIVE,
        natural_person=True,
        street="Musterweg 3",
        phone="+49 2323 987654",
        email=f"{first.lower()}@privat.example",
        account_holder=name,
    )
    user = provider_user(organisation, first_name=first, last_name=last)
    return organisation, user


@module_data
def world():
    from fund_manager.demo.seeder import Seeder

    seeder = Seeder(out=lambda *args: None)
    seeder.run()
    fund, year = seeder.fund, seeder.year_now
    chair = seeder.users["vorsitz"]
    field = next(iter(seeder.fields.values()))
    group = next(iter(seeder.groups.values()))

    def project(organisation, user, title, *, consent):
        application = ApplicationFactory(
            reference=f"VF-{year.year}-09{organisation.pk:02d}",
            fiscal_year=year,
            fund=fund,
            organisation=organisation,
            created_by=user,
            title=title,
            action_field=field,
            target_groups=[group],
            publication_consent=consent,
        )
        return _approve(application, chair)

    hidden_org, hidden_user = _person("Maria Musterfrau", "Maria", "Musterfrau")
    named_org, named_user = _person("Jonas Beispiel", "Jonas", "Beispiel")
    hidden = project(hidden_org, hidden_user, "Nachbarschaftsgarten Röhlinghausen", consent=False)
    named = project(named_org, named_user, "Lesepaten im Quartier", consent=True)
    # A private person's application that was not approved: nothing of it appears.
    pending = ApplicationFactory(
        fiscal_year=year,
        fund=fund,
        organisation=hidden_org,
        created_by=hidden_user,
        title="Zweiter Antrag der Privatperson",
        action_field=field,
        target_groups=[group],
        publication_consent=True,
    )

    # A fund that does not publish open data, with an approved project.
    closed_fund = FundFactory(code="geschlossen", name="Fonds ohne offene Daten")
    closed_fund.open_data_published = False
    closed_fund.save()
    closed_year = FiscalYearFactory(fund=closed_fund, year=year.year)
    closed = ApplicationFactory(
        reference=f"VF-{year.year}-0999",
        fiscal_year=closed_year,
        fund=closed_fund,
        title="Projekt eines nicht veröffentlichten Fonds",
        action_field=ActionFieldFactory(fund=closed_fund),
        target_groups=[TargetGroupFactory(fund=closed_fund)],
    )
    _approve(closed, chair)
    return {
        "fund": fund,
        "hidden": hidden.pk,
        "named": named.pk,
        "named_user": named_user.pk,
        "pending": pending.pk,
        "closed": closed.pk,
    }


def _get(client, name, **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200, name
    return response, response.content.decode("utf-8")


def _csv_rows(client):
    _response, text = _get(client, "public:opendata_csv")
    return list(csv.DictReader(io.StringIO(text)))


# --- access and headers -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["public:opendata", *DOWNLOADS])
def test_anonymous_access(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", DOWNLOADS)
def test_downloads_may_be_cached_publicly_for_an_hour(client, world, name):
    response = client.get(reverse(name))
    assert "public" in response["Cache-Control"]
    assert "max-age=3600" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_page_is_not_cached_publicly(client, world):
    response = client.get(reverse("public:opendata"))
    assert "public" not in response.get("Cache-Control", "")


# --- no personal data, nothing unapproved -------------------------------------------------------
def _everything(client):
    """The page (every page of it) and the three downloads as one text."""
    texts = [_get(client, name)[1] for name in DOWNLOADS]
    first, html = _get(client, "public:opendata")
    texts.append(html)
    for number in range(2, first.context["page_obj"].paginator.num_pages + 1):
        texts.append(_get(client, "public:opendata", page=number)[1])
    return texts


@pytest.mark.parametrize("name", ["public:opendata_csv", "public:opendata_json"])
def test_downloads_contain_no_email_iban_phone_or_street(client, world, name):
    _response, text = _get(client, name)
    assert not EMAIL.findall(text)
    assert not IBAN.findall(text)
    iban_like = re.compile(r"DE\d{20}")
    assert not iban_like.findall(text.replace(" ", ""))
    for street, phone, email, iban in Organisation.objects.values_list(
        "street", "phone", "email", "iban"
    ):
        for value in (street, phone, email, iban):
            if value:
                assert value not in text


def test_downloads_contain_no_users_names(client, world):
    org_names = " ".join(
        Organisation.objects.exclude(natural_person=True).values_list("name", flat=True)
    )
    for text in _everything(client):
        # The private person who agreed is named (its name is the organisation's).
        users = get_user_model().objects.exclude(pk=world["named_user"])
        for first, last in users.values_list("first_name", "last_name"):
            if first and last:
                assert f"{first} {last}" not in text
            for word in (first, last):
                # A legal person's name may contain a word of a demo user's name
                # ("Initiative"): organisations are named by design.
                if word and word not in org_names:
                    assert not re.search(rf"\b{re.escape(word)}\b", text), word


def test_no_application_that_is_not_approved(client, world):
    funded = set(
        Application.objects.filter(
            pk__in=[
                p.application_id
                for p in opendata.funded_projects(fiscal_years=world["fund"].fiscal_years.all())
            ]
        ).values_list("pk", flat=True)
    )
    others = Application.objects.exclude(pk__in=funded)
    assert others.filter(fund=world["fund"]).exists()
    rows = _csv_rows(client)
    published = {row["reference"] for row in rows}
    texts = _everything(client)
    for reference, title, state in others.values_list("reference", "title", "state"):
        if reference:
            assert reference not in published
            for text in texts:
                assert f"{reference}," not in text
                assert f'"{reference}"' not in text
        # A title shared with a funded project (a resubmission) may appear with that one.
        if not Application.objects.filter(pk__in=funded, title=title).exists():
            for text in texts:
                assert title not in text, (title, state)
    # Every published row is an approved application with an amount above zero.
    states = dict(Application.objects.values_list("reference", "state"))
    for row in rows:
        assert states[row["reference"]] not in (
            State.DRAFT,
            State.SUBMITTED,
            State.IN_REVIEW,
            State.REJECTED,
            State.WITHDRAWN,
        )
        assert Decimal(row["approved_amount"]) > 0


def test_natural_person_named_only_with_consent(client, world):
    hidden = Application.objects.get(pk=world["hidden"])
    named = Application.objects.get(pk=world["named"])
    rows = {row["reference"]: row for row in _csv_rows(client)}
    assert rows[hidden.reference]["applicant"] == WITHHELD
    assert rows[hidden.reference]["title"] == "Nachbarschaftsgarten Röhlinghausen"
    assert rows[named.reference]["applicant"] == "Jonas Beispiel"
    assert rows[named.reference]["applicant_kind"] == (
        "Privatperson oder private Initiative (natürliche Person)"
    )
    for text in _everything(client):
        assert "Maria Musterfrau" not in text
        assert "Musterfrau" not in text
        assert "Zweiter Antrag der Privatperson" not in text
    # Consent withdrawn: the name goes.
    Application.objects.filter(pk=named.pk).update(publication_consent=False)
    rows = {row["reference"]: row for row in _csv_rows(client)}
    assert rows[named.reference]["applicant"] == WITHHELD


def test_organisation_that_became_a_person_is_not_named(client, world):
    """The applicant is recorded as a natural person only today: without consent the name is
    not published (privacy follows today's facts)."""
    row = next(r for r in _csv_rows(client) if r["applicant"] == "Soforthilfe Herne e.V.")
    Organisation.objects.filter(name="Soforthilfe Herne e.V.").update(natural_person=True)
    rows = {r["reference"]: r for r in _csv_rows(client)}
    assert rows[row["reference"]]["applicant"] == WITHHELD
    assert "Soforthilfe Herne e.V." not in _get(client, "public:opendata_json")[1]


# --- the files parse and add up -----------------------------------------------------------------
def test_csv_parses_and_adds_up_to_the_funded_total(client, world):
    response, text = _get(client, "public:opendata_csv")
    assert response["Content-Type"].startswith("text/csv; charset=utf-8")
    assert not text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == list(opendata.COLUMNS)
    rows = _csv_rows(client)
    funded = opendata.funded_projects(fiscal_years=world["fund"].fiscal_years.all())
    assert len(rows) == len(funded)
    assert sum(Decimal(r["approved_amount"]) for r in rows) == sum(
        p.approved_amount for p in funded
    )
    for row in rows:
        assert re.fullmatch(r"\d+\.\d\d", row["approved_amount"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row["decided_on"])
        assert row["fund"] == world["fund"].name
    # The demo's 2017: 15 approvals by the 8th of June (reporting.statistics), net of later
    # reductions today.
    year_2017 = [r for r in rows if r["fiscal_year"] == "2017"]
    assert len(year_2017) >= 15


def test_json_parses_with_metadata(client, world):
    response, text = _get(client, "public:opendata_json")
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(text)
    csv_rows = _csv_rows(client)
    assert len(document["projects"]) == len(csv_rows)
    assert set(document["projects"][0]) == set(opendata.COLUMNS)
    assert isinstance(document["projects"][0]["target_groups"], list)
    (fund,) = document["metadata"]["funds"]
    assert fund["licence"]["uri"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert Decimal(fund["approved_total"]) == sum(Decimal(r["approved_amount"]) for r in csv_rows)
    assert document["metadata"]["dcat"].endswith(reverse("public:opendata_dcat"))


def test_dcat_names_the_licence_of_the_fund(client, world):
    fund = Fund.objects.get(pk=world["fund"].pk)
    fund.open_data_licence = OpenDataLicence.CC_BY_4_0
    fund.open_data_attribution = "Stadt Herne"
    fund.open_data_contact_email = "opendata@herne.example"
    fund.save()
    response, text = _get(client, "public:opendata_dcat")
    assert response["Content-Type"].startswith("application/ld+json")
    catalog = json.loads(text)
    assert catalog["@type"] == "dcat:Catalog"
    (dataset,) = catalog["dcat:dataset"]
    assert dataset["@type"] == "dcat:Dataset"
    assert dataset["dct:license"] == {"@id": "http://dcat-ap.de/def/licenses/cc-by/4.0"}
    assert dataset["dcat:contactPoint"]["vcard:hasEmail"] == {
        "@id": "mailto:opendata@herne.example"
    }
    themes = {theme["@id"].rsplit("/", 1)[1] for theme in dataset["dcat:theme"]}
    assert themes == {"GOVE", "SOCI"}
    formats = set()
    for distribution in dataset["dcat:distribution"]:
        assert distribution["dct:license"] == {"@id": "http://dcat-ap.de/def/licenses/cc-by/4.0"}
        assert distribution["dcatde:licenseAttributionByText"] == "Stadt Herne"
        formats.add(distribution["dct:format"]["@id"].rsplit("/", 1)[1])
        url = distribution["dcat:downloadURL"]["@id"]
        path = url.split("testserver", 1)[1]
        assert client.get(path).status_code == 200
    assert formats == {"CSV", "JSON"}
    # The page names the licence with its link.
    _response, html = _get(client, "public:opendata")
    assert "https://creativecommons.org/licenses/by/4.0/" in html


def test_default_licence_is_dl_by_de_2_0(world):
    fund = Fund.objects.get(pk=world["fund"].pk)
    assert fund.open_data_licence == "dl-by-de/2.0"
    assert fund.licence.uri == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert fund.open_data_published is True


# --- unpublished funds --------------------------------------------------------------------------
def test_unpublished_fund_is_absent(client, world):
    closed = Application.objects.get(pk=world["closed"])
    for text in _everything(client):
        assert closed.title not in text
        assert "Fonds ohne offene Daten" not in text
    assert client.get(reverse("public:opendata_csv"), {"fonds": "geschlossen"}).content.decode(
        "utf-8"
    ).strip() == ",".join(opendata.COLUMNS)


def test_fund_that_stops_publishing_disappears(client, world):
    Fund.objects.filter(pk=world["fund"].pk).update(open_data_published=False)
    assert _csv_rows(client) == []
    assert json.loads(_get(client, "public:opendata_dcat")[1])["dcat:dataset"] == []
    _response, html = _get(client, "public:opendata")
    assert "Zurzeit veröffentlicht kein Fonds offene Daten." in html


# --- the page -----------------------------------------------------------------------------------
def test_page_filters_by_year_and_explains_privacy(client, world):
    response, html = _get(client, "public:opendata", jahr=2017)
    assert response.context["count"] == len(
        [r for r in _csv_rows(client) if r["fiscal_year"] == "2017"]
    )
    assert all(p.fiscal_year == 2017 for p in response.context["page_obj"])
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in html
    assert "https://www.govdata.de/dl-de/by-2-0" in html
    assert "Was die Daten nicht enthalten, und warum" in html
    for name in DOWNLOADS:
        assert reverse(name) in html
    # An unknown year is ignored (the form refuses it): all years.
    response, _html = _get(client, "public:opendata", jahr="abc")
    assert response.context["count"] == len(_csv_rows(client))


# --- a constant number of queries ---------------------------------------------------------------
def _queries(client, name):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["public:opendata", *DOWNLOADS])
def test_constant_number_of_queries(client, world, name):
    client.get(reverse(name))  # warm caches (content types, sessions)
    before = _queries(client, name)
    fund = world["fund"]
    chair = get_user_model().objects.get(username="vorsitz")
    year = fund.fiscal_years.order_by("-year").first()
    for index in range(3):
        _approve(
            ApplicationFactory(
                reference=f"VF-{year.year}-098{index}",
                fiscal_year=year,
                fund=fund,
                title=f"Weiteres Projekt {index}",
                action_field=fund.action_fields.first(),
                target_groups=[fund.target_groups.first()],
            ),
            chair,
        )
    assert _queries(client, name) == before


# --- the consent on the application form --------------------------------------------------------
def test_application_form_asks_for_consent_only_where_the_applicant_may_be_a_person(world):
    from fund_manager.applications.forms import ApplicationForm

    fund = world["fund"]
    person = Organisation.objects.get(name="Maria Musterfrau")
    legal = Organisation.objects.get(name="Soforthilfe Herne e.V.")

    def asks(**kwargs):
        form = ApplicationForm(fund=fund, **{"organisations": None, **kwargs})
        return "publication_consent" in form.fields

    assert asks(applicant=person)
    assert not asks(applicant=legal)
    assert asks(organisations=Organisation.objects.filter(pk__in=[person.pk, legal.pk]))
    assert not asks(organisations=Organisation.objects.filter(pk=legal.pk))
    assert asks(initial={"organisation": person.pk})
    assert not asks(initial={"organisation": legal.pk})
    assert asks()  # unknown applicant: asked, to be safe
    form = ApplicationForm(
        {"title": "Garten", "publication_consent": "on"}, fund=fund, organisations=None
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["publication_consent"] is True


# --- the cache ----------------------------------------------------------------------------------
def test_the_datasets_are_cached_until_the_services_change_something(client, world, settings):
    """In production the datasets are computed once per change (FM_OPEN_DATA_CACHE_SECONDS):
    the second request reads the cache; an audit entry (every service writes one, e.g. a
    withdrawn consent saved through the form) makes the next request compute them anew."""
    from django.core.cache import cache

    cache.clear()
    settings.FM_OPEN_DATA_CACHE_SECONDS = 600
    with CaptureQueriesContext(connection) as first:
        rows = {row["reference"]: row for row in _csv_rows(client)}
    with CaptureQueriesContext(connection) as second:
        assert {row["reference"]: row for row in _csv_rows(client)} == rows
    assert len(second) < len(first)
    named = Application.objects.get(pk=world["named"])
    assert rows[named.reference]["applicant"] != WITHHELD
    # The consent withdrawn, as the form's service records it (changed row, audit entry).
    Application.objects.filter(pk=named.pk).update(publication_consent=False)
    log_action(obj=named, action="application.updated", by=None, data={"changed": ["consent"]})
    rows = {row["reference"]: row for row in _csv_rows(client)}
    assert rows[named.reference]["applicant"] == WITHHELD
    cache.clear()
