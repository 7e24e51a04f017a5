"""Open data (issue 13): the funded projects of every fund that publishes them, as a table, as
CSV and JSON downloads and with DCAT-AP.de metadata (JSON-LD) for the city's transparency portal.

What a row holds: the fund, fiscal year, funding round, the day of the decision, the reference,
the applicant (see below), its kind, the project title, action field, target groups and the
approved amount net of later lowerings (waivers, revocations), as of today. The selection is
``reporting.statistics.funded_projects`` for all fiscal years of each published fund: only
approved applications with an amount above zero; nothing of a draft, a pending, rejected,
deferred or withdrawn application appears.

No personal data: never an e-mail address, phone number, street, bank details or the name of a
user. The applicant is named where it is an organisation (a legal person or a city department);
a natural person (``Organisation.natural_person``: a private initiative) only with the consent
recorded in the application (``Application.publication_consent``), otherwise as
``Private person (name not published)``. Both are read as they are today, so a consent withdrawn
since is honoured at once.

The files are the same for every visitor and every language: column names are fixed
(``COLUMNS``), values are in German, amounts with a dot as decimal separator and two places,
dates in ISO 8601. CSV: UTF-8 without byte order mark, comma separated, fields quoted where
needed (RFC 4180), one header line.
"""

import csv
import datetime
import hashlib
import io
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fund_manager.applications.models import Application
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO
from fund_manager.funds.models import FiscalYear, Fund
from fund_manager.organisations.models import Organisation
from fund_manager.reporting.statistics import funded_projects

# The language of the values in the files (the fund's names are German data anyway).
DATA_LANGUAGE = "de"
TARGET_GROUP_SEPARATOR = "; "

# Column -> its meaning (shown on the page; the names never change: portals harvest them).
COLUMNS = {
    "fund": gettext_lazy("Name of the fund"),
    "fiscal_year": gettext_lazy("Fiscal year of the grant"),
    "funding_round": gettext_lazy("Funding round (year/number) in which it was decided"),
    "decided_on": gettext_lazy("Day of the steering group's decision (YYYY-MM-DD)"),
    "reference": gettext_lazy("Reference of the application"),
    "applicant": gettext_lazy(
        "Applicant; a private person only with their consent, otherwise without the name"
    ),
    "applicant_kind": gettext_lazy("Kind of applicant"),
    "title": gettext_lazy("Project title"),
    "action_field": gettext_lazy("Action field"),
    "target_groups": gettext_lazy("Target groups, separated by a semicolon"),
    "approved_amount": gettext_lazy(
        "Approved amount in euros net of later reductions (dot as decimal separator)"
    ),
}

EU_THEMES = ("GOVE", "SOCI")  # Government and public sector; population and society
THEME_BASE = "http://publications.europa.eu/resource/authority/data-theme/"
FILE_TYPES = {
    "csv": ("http://publications.europa.eu/resource/authority/file-type/CSV", "text/csv"),
    "json": (
        "http://publications.europa.eu/resource/authority/file-type/JSON",
        "application/json",
    ),
}
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class Project:
    """One funded project as published."""

    fund: str
    fund_code: str
    fiscal_year: int
    funding_round: str
    decided_on: datetime.date
    reference: str
    applicant: str
    applicant_kind: str
    name_withheld: bool
    title: str
    action_field: str
    target_groups: tuple
    approved_amount: object  # Decimal, two places

    def as_dict(self):
        """The row for JSON: strings, numbers as strings with a dot (no float)."""
        return {
            "fund": self.fund,
            "fiscal_year": self.fiscal_year,
            "funding_round": self.funding_round,
            "decided_on": self.decided_on.isoformat(),
            "reference": self.reference,
            "applicant": self.applicant,
            "applicant_kind": self.applicant_kind,
            "title": self.title,
            "action_field": self.action_field,
            "target_groups": list(self.target_groups),
            "approved_amount": f"{self.approved_amount:.2f}",
        }

    def as_csv_row(self):
        row = self.as_dict()
        row["target_groups"] = TARGET_GROUP_SEPARATOR.join(self.target_groups)
        return [row[column] for column in COLUMNS]


@dataclass
class Dataset:
    """The published projects of one fund with what the metadata need."""

    fund: Fund
    projects: list

    @property
    def total(self):
        return sum((p.approved_amount for p in self.projects), start=ZERO)

    @property
    def issued(self):
        return min((p.decided_on for p in self.projects), default=None)

    @property
    def modified(self):
        return max((p.decided_on for p in self.projects), default=None)

    @property
    def years(self):
        return sorted({p.fiscal_year for p in self.projects})


def published_funds(code=None):
    funds = Fund.objects.filter(open_data_published=True).order_by("name")
    if code:
        funds = funds.filter(code=code)
    return list(funds)


def datasets(fund_code=None) -> list:
    """[Dataset] of every fund that publishes open data (or the one with ``fund_code``), with
    its funded projects of all fiscal years as of today. A fixed number of queries per fund.

    Kept in the cache for ``FM_OPEN_DATA_CACHE_SECONDS`` under a key that changes with every
    change the services make (the last audit entry, the last changed application) and with
    the funds' settings: a decision, a waiver or a withdrawn consent shows at the next request.
    """
    funds = published_funds(fund_code)
    seconds = settings.FM_OPEN_DATA_CACHE_SECONDS
    if not seconds:
        return _datasets(funds)
    key = "fm:opendata:" + hashlib.sha256(repr(_fingerprint(funds)).encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        result = _datasets(funds)
        cache.set(key, result, seconds)
    return result


def _fingerprint(funds):
    return (
        timezone.localdate(),
        AuditEntry.objects.aggregate(last=Max("pk"))["last"],
        Application.objects.aggregate(last=Max("updated_at"))["last"],
        [
            (f.pk, f.name, f.open_data_licence, f.open_data_attribution, f.open_data_publisher)
            for f in funds
        ],
    )


def _datasets(funds) -> list:
    result = []
    for fund in funds:
        years = FiscalYear.objects.filter(fund=fund)
        funded = funded_projects(fiscal_years=years)
        result.append(Dataset(fund=fund, projects=_publish(fund, funded)))
    return result


# How the files name a natural person's kind (a private initiative is one, whatever its kind).
NATURAL_PERSON = gettext_lazy("Private person or private initiative (natural person)")


def _publish(fund, funded):
    """The rows of ``funded`` (reporting FundedProject) without personal data."""
    today = {
        pk: (consent, natural)
        for pk, consent, natural in Application.objects.filter(
            pk__in=[p.application_id for p in funded]
        ).values_list("pk", "publication_consent", "organisation__natural_person")
    }
    kinds = dict(Organisation.Kind.choices)
    rows = []
    with translation.override(DATA_LANGUAGE):
        withheld_name = _("Private person (name not published)")
        for p in funded:
            # Today's facts: a consent withdrawn since is honoured at once.
            consent, natural = today.get(p.application_id, (False, True))
            withheld = natural and not consent
            rows.append(
                Project(
                    fund=fund.name,
                    fund_code=fund.code,
                    fiscal_year=p.year,
                    funding_round=p.round_label,
                    decided_on=p.decided_on,
                    reference=p.reference,
                    applicant=withheld_name if withheld else p.organisation_name,
                    applicant_kind=str(
                        NATURAL_PERSON if natural else kinds.get(p.organisation_kind, "")
                    ),
                    name_withheld=withheld,
                    title=p.title,
                    action_field=p.action_field_name,
                    target_groups=tuple(name for _code, name in p.target_groups),
                    approved_amount=p.approved_amount,
                )
            )
    rows.sort(key=lambda r: (-r.fiscal_year, r.decided_on, r.reference))
    return rows


# --- the files ----------------------------------------------------------------------------------
def to_csv(sets) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(COLUMNS))
    for dataset in sets:
        for project in dataset.projects:
            writer.writerow(project.as_csv_row())
    return out.getvalue()


def to_json(sets, *, urls) -> str:
    """``{"metadata": {...}, "projects": [...]}``; ``urls`` as ``dcat_jsonld`` takes them."""
    with translation.override(DATA_LANGUAGE):
        document = {
            "metadata": {
                "title": _("Funded projects"),
                "as_of": timezone.localdate().isoformat(),
                "columns": {name: str(text) for name, text in COLUMNS.items()},
                "landing_page": urls["page"],
                "dcat": urls["dcat"],
                "funds": [
                    {
                        "name": d.fund.name,
                        "publisher": d.fund.publisher,
                        "licence": {
                            "name": str(d.fund.licence.label),
                            "uri": d.fund.licence.uri,
                            "url": d.fund.licence.page,
                        },
                        "attribution": d.fund.attribution,
                        "projects": len(d.projects),
                        "approved_total": f"{d.total:.2f}",
                    }
                    for d in sets
                ],
            },
            "projects": [p.as_dict() for d in sets for p in d.projects],
        }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _date(value):
    return {"@value": value.isoformat(), "@type": "xsd:date"} if value else None


def _text(value):
    return {"@value": str(value), "@language": DATA_LANGUAGE}


def dcat_jsonld(sets, *, urls) -> str:
    """A dcat:Catalog with one dcat:Dataset per published fund (DCAT-AP.de 2.0), each with a
    CSV and a JSON distribution under the fund's licence.

    ``urls``: {"page", "dcat", "csv", "json"} as absolute addresses; the downloads of one fund
    get ``?fonds=<code>``."""
    with translation.override(DATA_LANGUAGE):
        catalog = {
            "@context": {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "dcatde": "http://dcat-ap.de/def/dcatde/",
                "foaf": "http://xmlns.com/foaf/0.1/",
                "vcard": "http://www.w3.org/2006/vcard/ns#",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
            },
            "@id": urls["dcat"],
            "@type": "dcat:Catalog",
            "dct:title": _text(_("Open data of the funds")),
            "dct:description": _text(
                _(
                    "The projects the funds have approved, with amount, action field and target "
                    "groups, without personal data."
                )
            ),
            "dct:language": {
                "@id": "http://publications.europa.eu/resource/authority/language/DEU"
            },
            "foaf:homepage": {"@id": urls["page"]},
            "dcat:dataset": [_dataset(d, urls) for d in sets],
        }
        if sets:
            catalog["dct:publisher"] = _publisher(sets[0].fund)
    return json.dumps(catalog, ensure_ascii=False, indent=2)


def _publisher(fund):
    publisher = {"@type": "foaf:Organization", "foaf:name": fund.publisher}
    if fund.open_data_publisher_uri:
        publisher["@id"] = fund.open_data_publisher_uri
    return publisher


def _dataset(dataset, urls):
    fund = dataset.fund
    anchor = f"{urls['page']}#fonds-{fund.code}"
    item = {
        "@id": anchor,
        "@type": "dcat:Dataset",
        "dct:identifier": anchor,
        "dct:title": _text(_("Funded projects of the fund %(fund)s") % {"fund": fund.name}),
        "dct:description": _text(
            _(
                "Every project the fund has approved, per fiscal year and funding round: "
                "applicant, project title, action field, target groups and approved amount "
                "net of later reductions. Private persons appear by name only with their "
                "consent. Updated with every decision."
            )
        ),
        "dct:publisher": _publisher(fund),
        "dcat:landingPage": {"@id": urls["page"]},
        "dcat:theme": [{"@id": THEME_BASE + theme} for theme in EU_THEMES],
        "dcat:keyword": [_text(_("funding")), _text(_("grants")), _text(fund.name)],
        "dct:accessRights": {
            "@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
        },
        "dct:license": {"@id": fund.licence.uri},
        "dcat:distribution": [_distribution(fund, urls, kind) for kind in FILE_TYPES],
    }
    if fund.open_data_contact_email:
        item["dcat:contactPoint"] = {
            "@type": "vcard:Organization",
            "vcard:fn": fund.publisher,
            "vcard:hasEmail": {"@id": f"mailto:{fund.open_data_contact_email}"},
        }
    if fund.open_data_geocoding_uri:
        item["dcatde:politicalGeocodingURI"] = {"@id": fund.open_data_geocoding_uri}
        item["dct:spatial"] = {"@id": fund.open_data_geocoding_uri}
    for key, value in (("dct:issued", dataset.issued), ("dct:modified", dataset.modified)):
        if value:
            item[key] = _date(value)
    if dataset.years:
        item["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _date(datetime.date(dataset.years[0], 1, 1)),
            "dcat:endDate": _date(datetime.date(dataset.years[-1], 12, 31)),
        }
    return item


def _distribution(fund, urls, kind):
    file_type, media_type = FILE_TYPES[kind]
    url = f"{urls[kind]}?fonds={fund.code}"
    distribution = {
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": _text(_("Funded projects (%(format)s)") % {"format": kind.upper()}),
        "dcat:accessURL": {"@id": url},
        "dcat:downloadURL": {"@id": url},
        "dct:format": {"@id": file_type},
        "dcat:mediaType": {"@id": IANA + media_type},
        "dct:license": {"@id": fund.licence.uri},
    }
    if fund.licence.needs_attribution:
        distribution["dcatde:licenseAttributionByText"] = fund.attribution
    return distribution
