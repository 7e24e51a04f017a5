"""Export profiles: the layout of a fund's payment export (docs/budget-export.md).

Every city's finance system imports its own layout. A profile says which columns of the
export resource (``payments.resources.PaymentExportResource``) are written, in which order
and under which names, and how the CSV writes them: separator, date and amount formats, the
record types of the header, line and trailer records, and how the payment reference is built.
The columns themselves (what a cell holds) are defined once, in the resource.

The fund names its profile (``Fund.export_profile``, a slug). The registry holds the built-in
profiles; a city adds one without touching this file, either as data in the settings::

    FM_EXPORT_PROFILES = {
        "musterstadt": {
            "name": "Musterstadt SAP",
            "columns": [["document_number", "BELNR"], ["amount", "BETRAG"], ...],
            "delimiter": ";",
            "date_format": "%Y%m%d",
        },
    }

or in code, with ``register(ExportProfile(...))`` from a module its settings load.
"""

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import InvalidTransition
from fund_manager.core.money import quantize

# Every column the resource knows, in its own order (the "full" layout, used by SEPA).
COLUMN_CODES = (
    "payment_key",
    "document_number",
    "product",
    "cost_centre",
    "cost_account",
    "creditor_number",
    "payee",
    "iban",
    "bic",
    "amount",
    "due_date",
    "reference",
    "kind",
    "certified_by",
    "ordered_by",
    "ordered_at",
)


@dataclass(frozen=True)
class ExportProfile:
    """One layout. ``columns`` are ``(column code, column name)`` pairs in file order."""

    slug: str
    name: str
    columns: tuple[tuple[str, str], ...]
    # CSV
    delimiter: str = ";"
    date_format: str = "%d.%m.%Y"
    datetime_format: str = "%d.%m.%Y %H:%M"
    decimal_separator: str = ","
    thousands_separator: str = ""
    # The first cell of each record: header (Kopfsatz), line (Postensatz), trailer (Summensatz).
    header_record: str = "K"
    line_record: str = "P"
    trailer_record: str = "S"
    # A row with the column names before the first line (after the header record).
    column_names: bool = True
    # The payment reference (Verwendungszweck); placeholders: file (application reference),
    # notice (the approving decision: year/round TOP item), tranche, tranches.
    reference_format: str = "{file} Bescheid {notice} Rate {tranche}/{tranches}"
    # The value of the "kind" column for a bank transfer and for an internal budget transfer.
    kind_transfer: str = "UEBERWEISUNG"
    kind_internal: str = "VERRECHNUNG"
    # Names of the header and trailer fields (the column-names row of those records).
    header_names: tuple[str, ...] = field(
        default=(
            "Satzart",
            "Stapel",
            "Haushaltsjahr",
            "Anordnende Stelle",
            "Anzahl",
            "Kontrollsumme",
        )
    )
    trailer_names: tuple[str, ...] = field(default=("Satzart", "Anzahl", "Kontrollsumme"))

    def __post_init__(self):
        unknown = [code for code, _name in self.columns if code not in COLUMN_CODES]
        if unknown:
            raise ValueError(f"Export profile {self.slug!r}: unknown columns {unknown}")
        if len(self.delimiter) != 1:
            raise ValueError(f"Export profile {self.slug!r}: the separator must be one character")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _name in self.columns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _code, name in self.columns)

    def amount(self, value) -> str:
        """``1234,50`` (default): two decimals, the profile's separators, no sign for >= 0."""
        if value is None:
            return ""
        text = f"{quantize(Decimal(value)):,.2f}"  # 1,234.50
        whole, cents = text.rsplit(".", 1)
        return f"{whole.replace(',', self.thousands_separator)}{self.decimal_separator}{cents}"

    def date(self, value) -> str:
        return value.strftime(self.date_format) if value else ""

    def datetime(self, value) -> str:
        return value.strftime(self.datetime_format) if value else ""

    def reference(self, *, file, notice, tranche, tranches) -> str:
        return self.reference_format.format(
            file=file or "", notice=notice or "", tranche=tranche or "", tranches=tranches or ""
        ).strip()


DEFAULT = ExportProfile(
    slug="default",
    name="Standard (Semikolon, deutsches Datums- und Zahlenformat)",
    columns=(
        ("payment_key", "Zahlungsschlüssel"),
        ("document_number", "Belegnummer"),
        ("product", "Produkt"),
        ("cost_centre", "Kostenstelle"),
        ("cost_account", "Sachkonto"),
        ("creditor_number", "Kreditor"),
        ("payee", "Zahlungsempfänger"),
        ("iban", "IBAN"),
        ("bic", "BIC"),
        ("amount", "Betrag"),
        ("due_date", "Fällig am"),
        ("reference", "Verwendungszweck"),
        ("kind", "Zahlungsart"),
        ("certified_by", "Sachlich richtig"),
        ("ordered_by", "Angeordnet von"),
        ("ordered_at", "Angeordnet am"),
    ),
)

# An example of a second layout: ISO dates, a decimal point, the column codes as names.
ISO = ExportProfile(
    slug="iso",
    name="ISO (Semikolon, ISO-Datum, Dezimalpunkt)",
    columns=tuple((code, code) for code in COLUMN_CODES),
    date_format="%Y-%m-%d",
    datetime_format="%Y-%m-%dT%H:%M",
    decimal_separator=".",
    header_record="H",
    line_record="L",
    trailer_record="T",
    reference_format="{file}/{notice}/{tranche}-{tranches}",
    kind_transfer="transfer",
    kind_internal="internal",
    header_names=("record", "batch", "fiscal_year", "ordering_office", "count", "total"),
    trailer_names=("record", "count", "total"),
)

_REGISTRY: dict[str, ExportProfile] = {}


def register(profile: ExportProfile) -> ExportProfile:
    """Add (or replace) a profile; returns it."""
    _REGISTRY[profile.slug] = profile
    return profile


register(DEFAULT)
register(ISO)


def _from_settings(slug):
    data = getattr(settings, "FM_EXPORT_PROFILES", {}).get(slug)
    if data is None:
        return None
    values = {**data, "slug": slug}
    values["columns"] = tuple(tuple(pair) for pair in values["columns"])
    for name in ("header_names", "trailer_names"):
        if name in values:
            values[name] = tuple(values[name])
    allowed = {f.name for f in dataclasses.fields(ExportProfile)}
    return ExportProfile(**{k: v for k, v in values.items() if k in allowed})


def available() -> list[ExportProfile]:
    """Every profile a fund may name: the registry and the settings' ``FM_EXPORT_PROFILES``."""
    slugs = {*_REGISTRY, *getattr(settings, "FM_EXPORT_PROFILES", {})}
    return [get_profile(slug) for slug in sorted(slugs)]


def get_profile(slug) -> ExportProfile:
    """The profile named ``slug``; an unknown name refuses the export (409)."""
    profile = _from_settings(slug) or _REGISTRY.get(slug or "default")
    if profile is None:
        raise InvalidTransition(
            _(
                "The export profile “%(profile)s” of this fund is not known. Please choose one "
                "of the profiles described in docs/budget-export.md."
            ),
            code="unknown_export_profile",
            params={"profile": slug},
        )
    return profile
