"""Official letters as accessible PDF, shared by the round's documents (minutes, notices) and
the revocation letters: German rendering of an HTML template, the tagged PDF/UA-1 built from
it, and the parts every letter has (the issuing authority, amounts, the administrative court).

The texts are German on purpose (administrative acts in the official language, § 23 Abs. 1
VwVfG NRW); the HTML is the single source of the PDF and of the tests.
"""

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .money import format_amount
from .text import xml_safe

# The court for the legal remedy instructions. Herne lies in the district of the
# Verwaltungsgericht Gelsenkirchen; another city sets FM_ADMINISTRATIVE_COURT in its settings.
# In NRW there is no objection procedure (Widerspruch) before the action (§ 110 JustG NRW).
DEFAULT_ADMINISTRATIVE_COURT = (
    "Verwaltungsgericht Gelsenkirchen, Bahnhofsvorplatz 3, 45879 Gelsenkirchen"
)


def administrative_court() -> str:
    return getattr(settings, "FM_ADMINISTRATIVE_COURT", DEFAULT_ADMINISTRATIVE_COURT)


def euro(value) -> str | None:
    """An amount as a letter writes it (German), or None for no amount."""
    return None if value is None else format_amount(value, language="de")


def authority(fund) -> str:
    """The issuing authority named in a fund's letters: its owning department, else the fund."""
    return fund.owner_department or fund.name


def render_german(template, context) -> str:
    # The documents are German whatever the reader's language (dates, month names).
    with translation.override("de"):
        return render_to_string(template, context)


def _refuse_fetch(url, *args, **kwargs):
    """The documents are self-contained; never let a URL in the HTML read a file or the net."""
    raise ValueError(f"External resources are not loaded into documents: {url}")


def html_to_pdf(html: str) -> bytes:
    """Tagged PDF/UA-1 (structure tree, document language, title shown) from our HTML."""
    # What XML cannot carry is left out (issue 9, defect 8): texts stored before control
    # characters were refused must not break a document (PDF/UA metadata is XML).
    document = weasyprint.HTML(string=xml_safe(html), url_fetcher=_refuse_fetch)
    return document.write_pdf(pdf_variant="pdf/ua-1")
