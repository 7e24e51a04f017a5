"""Who runs this installation: the imprint (§ 5 DDG) and the privacy notice (Art. 13 DSGVO).

Every value comes from a setting (``FM_OPERATOR_*``, ``FM_PRIVACY_*`` in fund_manager/settings.py,
read from environment variables). Where a value is not set, the page shows the EXAMPLE below
(the demo city, Herne) and says so; ``manage.py check`` warns in production (DEBUG off) while
the required values are unset (``fund_manager.public.checks``).
"""

from dataclasses import dataclass

from django.conf import settings

# An example for the demo only: the city of Herne as the operator of its fund. The e-mail
# addresses and the telephone number are placeholders, not the city's real ones.
EXAMPLE = {
    "FM_OPERATOR_NAME": "Stadt Herne",
    "FM_OPERATOR_ADDRESS": "Friedrich-Ebert-Platz 2; 44623 Herne",
    "FM_OPERATOR_REPRESENTATIVE": "Der Oberbürgermeister der Stadt Herne",
    "FM_OPERATOR_DEPARTMENT": "Fachbereich Integration, Projektbüro Verfügungsfonds",
    "FM_OPERATOR_EMAIL": "verfuegungsfonds@example.org",
    "FM_OPERATOR_PHONE": "+49 2323 00000 (Beispiel)",
    "FM_OPERATOR_VAT_ID": "",
    "FM_OPERATOR_SUPERVISION": "Bezirksregierung Arnsberg; Seibertzstraße 1; 59821 Arnsberg",
    "FM_OPERATOR_CONTENT_RESPONSIBLE": "Leitung des Projektbüros Verfügungsfonds "
    "(Anschrift wie oben)",
    "FM_PRIVACY_DPO": "Behördliche Datenschutzbeauftragte der Stadt Herne; "
    "Friedrich-Ebert-Platz 2; 44623 Herne",
    "FM_PRIVACY_DPO_EMAIL": "datenschutz@example.org",
    "FM_PRIVACY_AUTHORITY": "Landesbeauftragte für Datenschutz und Informationsfreiheit "
    "Nordrhein-Westfalen; Kavalleriestraße 2–4; 40213 Düsseldorf; poststelle@ldi.nrw.de",
}

# Without these an imprint or a privacy notice is incomplete (the check warns about them).
REQUIRED = (
    "FM_OPERATOR_NAME",
    "FM_OPERATOR_ADDRESS",
    "FM_OPERATOR_REPRESENTATIVE",
    "FM_OPERATOR_EMAIL",
    "FM_OPERATOR_PHONE",
    "FM_PRIVACY_DPO",
    "FM_PRIVACY_DPO_EMAIL",
    "FM_PRIVACY_AUTHORITY",
)


def _lines(value):
    """An address in one setting: its lines separated by ";"."""
    return [part.strip() for part in value.split(";") if part.strip()]


@dataclass(frozen=True)
class LegalDetails:
    values: dict
    example: bool  # at least one required value is the example's

    def __getattr__(self, name):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def unset_settings():
    """The required settings this installation has left empty."""
    return [name for name in REQUIRED if not str(getattr(settings, name, "") or "").strip()]


def legal_details():
    """The operator's details for the imprint, the privacy notice and the accessibility
    statement; the example's values stand in for unset ones (and ``example`` is then True)."""
    raw = {}
    for name, example in EXAMPLE.items():
        value = str(getattr(settings, name, "") or "").strip()
        raw[name] = value or example
    missing = unset_settings()
    # The operator's name has its own default in settings ("Stadt Herne"): it counts as the
    # example while the address is still the example's.
    values = {
        "name": raw["FM_OPERATOR_NAME"],
        "address": _lines(raw["FM_OPERATOR_ADDRESS"]),
        "representative": raw["FM_OPERATOR_REPRESENTATIVE"],
        "department": raw["FM_OPERATOR_DEPARTMENT"],
        "email": raw["FM_OPERATOR_EMAIL"],
        "phone": raw["FM_OPERATOR_PHONE"],
        "vat_id": raw["FM_OPERATOR_VAT_ID"],
        "supervision": _lines(raw["FM_OPERATOR_SUPERVISION"]),
        "content_responsible": raw["FM_OPERATOR_CONTENT_RESPONSIBLE"],
        "dpo": _lines(raw["FM_PRIVACY_DPO"]),
        "dpo_email": raw["FM_PRIVACY_DPO_EMAIL"],
        "authority": _lines(raw["FM_PRIVACY_AUTHORITY"]),
    }
    return LegalDetails(values=values, example=bool(missing))
