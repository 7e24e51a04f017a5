"""Demo data, the facts: the Herne integration fund of the seed document (section 5): its action
fields, target groups, organisations, logins, the 2017 projects and allocations.

``seeder.Seeder`` replays them through the services; ``rounds`` adds the steering group and the
2017 rounds.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from stdnum import iban as stdnum_iban

from fund_manager.applications.models import CostItem
from fund_manager.core.roles import Role
from fund_manager.organisations.models import Organisation

PASSWORD = "demo"  # noqa: S105 - documented demo logins, refused with DEBUG off
BERLIN = ZoneInfo("Europe/Berlin")

ACTION_FIELDS = [
    ("ankommen", "Ankommen in Herne"),
    ("kinder-jugend-familie", "Kinder/Jugendliche und deren Familien"),
    ("sprache-beruf", "Sprachliche und berufliche Integration"),
    ("teilhabe", "Gesellschaftliche Teilhabe"),
    ("wohnen", "Wohnen"),
    ("netzwerk", "Netzwerkarbeit"),
]
TARGET_GROUPS = [
    (
        "bleibeperspektive-gesichert",
        "Geflüchtete mit (wahrscheinlich) gesicherter Bleibeperspektive",
    ),
    ("bleibeperspektive-unwahrscheinlich", "Geflüchtete mit unwahrscheinlicher Bleibeperspektive"),
    ("suedosteuropa", "Neuzugewanderte aus Südosteuropa (EU)"),
]

PRO, INI, MUN = (
    Organisation.Kind.PROVIDER,
    Organisation.Kind.INITIATIVE,
    Organisation.Kind.MUNICIPAL,
)
# name, kind, street, creditor number, (bank code, account) or None for city departments
ORGANISATIONS = [
    ("Soforthilfe Herne e.V.", PRO, "Bahnhofstraße 12", "700101", ("43050001", "1001234567")),
    ("Stadtsportbund Herne e.V.", INI, "Eickeler Straße 7", "700102", ("43050001", "1002345678")),
    ("Volkshochschule Herne", MUN, "Wilhelmstraße 37", "", None),
    ("Koordinierungsstelle Zuwanderung Südosteuropa", MUN, "Friedrich-Ebert-Platz 2", "", None),
    (
        "Ehrenamtliche Initiative in Herne",
        INI,
        "Am Westbach 3",
        "700105",
        ("43050001", "1005678901"),
    ),
    ("Fachbereich Kinder-Jugend-Familie", MUN, "Rathausstraße 6", "", None),
    ("Fachbereich Gesundheit", MUN, "Rathausstraße 6", "", None),
    (
        "Caritasverband Herne e.V.",
        PRO,
        "Altenhöfener Straße 34",
        "700108",
        ("37060193", "2003456789"),
    ),
    (
        "DRK Kreisverband Herne und Wanne-Eickel e.V.",
        PRO,
        "Harpener Weg 2",
        "700109",
        ("43050001", "1009876543"),
    ),
    ("Eine Welt Zentrum Herne", INI, "Overwegstraße 31", "700110", ("43050001", "1004567890")),
    # A private initiative without an association behind it: the applicant is a natural person,
    # whose name the open data leave out (no consent recorded in the application; issue 13).
    ("Anna Beispielfrau", INI, "Mont-Cenis-Straße 5", "700111", ("43050001", "1006789012")),
]
# The organisations above that are natural persons (Organisation.natural_person).
NATURAL_PERSONS = {"Anna Beispielfrau"}

# username, first name, last name, roles, organisation (membership) or None
USERS = [
    ("traeger", "Tanja", "Träger", [Role.PROVIDER], "Soforthilfe Herne e.V."),
    ("traeger2", "Tim", "Sportler", [Role.PROVIDER], "Stadtsportbund Herne e.V."),
    ("projektbuero", "Paula", "Projektbüro", [Role.PROJECT_OFFICE], None),
    ("vorsitz", "Volker", "Vorsitz", [Role.CHAIR, Role.STEERING_MEMBER], None),
    ("lenkung1", "Lena", "Lenkung", [Role.STEERING_MEMBER], None),
    ("lenkung2", "Luis", "Lenkung", [Role.STEERING_MEMBER], "Caritasverband Herne e.V."),
    ("lenkung3", "Lea", "Lenkung", [Role.STEERING_MEMBER], None),
    ("lenkung4", "Lukas", "Lenkung", [Role.STEERING_MEMBER], None),
    ("kaemmerei", "Karin", "Kämmerei", [Role.FINANCE], None),
    ("pruefung", "Peter", "Prüfung", [Role.AUDITOR], None),
    # Further applicant accounts, one per organisation of the seed projects.
    ("vhs", "Vera", "Volkshochschule", [Role.PROVIDER], "Volkshochschule Herne"),
    (
        "kosoe",
        "Kemal",
        "Koordinierung",
        [Role.PROVIDER],
        "Koordinierungsstelle Zuwanderung Südosteuropa",
    ),
    ("initiative", "Ines", "Initiative", [Role.PROVIDER], "Ehrenamtliche Initiative in Herne"),
    ("fbkjf", "Frank", "Jugendamt", [Role.PROVIDER], "Fachbereich Kinder-Jugend-Familie"),
    ("caritas", "Carla", "Caritas", [Role.PROVIDER], "Caritasverband Herne e.V."),
    ("drk", "Dora", "Rotkreuz", [Role.PROVIDER], "DRK Kreisverband Herne und Wanne-Eickel e.V."),
    ("einewelt", "Emil", "Weltladen", [Role.PROVIDER], "Eine Welt Zentrum Herne"),
    ("privat", "Anna", "Beispielfrau", [Role.PROVIDER], "Anna Beispielfrau"),
]

MAT, PER, RENT, TRAV, PR, OTH = (
    CostItem.Category.MATERIAL,
    CostItem.Category.PERSONNEL,
    CostItem.Category.RENT,
    CostItem.Category.TRAVEL,
    CostItem.Category.PUBLIC_RELATIONS,
    CostItem.Category.OTHER,
)


def _d(text):
    return Decimal(text)


# The six projects the seed names; each goes through the real process to "eligible".
# (user, title, action field, target groups, kind, start, end, own funds, cost items, summary)
SEED_PROJECTS = [
    (
        "traeger",
        "FIPS – Flüchtlinge integrieren psychosozial",
        "ankommen",
        ["bleibeperspektive-gesichert", "bleibeperspektive-unwahrscheinlich"],
        "model",
        (2017, 3, 1),
        (2017, 12, 31),
        "500.00",
        [
            (PER, "Honorare Psychologin (120 Std.)", "7200.00"),
            (RENT, "Raummiete Beratung", "1200.00"),
            (MAT, "Material, Dolmetschkosten", "550.00"),
        ],
        "Psychosoziale Beratung und Gruppenangebote für Geflüchtete, in Kooperation mit dem Fachbereich Gesundheit.",
    ),
    (
        "traeger2",
        "Förderung der gesellschaftlichen Teilhabe im organisierten Sport insbesondere für Mädchen",
        "teilhabe",
        ["bleibeperspektive-gesichert", "suedosteuropa"],
        "model",
        (2017, 3, 15),
        (2017, 12, 15),
        "300.00",
        [
            (PER, "Übungsleiterinnen", "3600.00"),
            (MAT, "Sportkleidung und Geräte", "1280.00"),
            (TRAV, "Fahrten zu Turnieren", "400.00"),
        ],
        "Sportgruppen für geflüchtete Mädchen in Herner Vereinen, mit Übungsleiterinnen und Patinnen.",
    ),
    (
        "vhs",
        "Willkommenskurs",
        "sprache-beruf",
        ["bleibeperspektive-gesichert", "bleibeperspektive-unwahrscheinlich"],
        "short_term",
        (2017, 2, 20),
        (2017, 7, 14),
        "0.00",
        [(PER, "Kursleitung (160 UE)", "3200.00"), (MAT, "Lehrmaterial", "400.00")],
        "Ein niedrigschwelliger Einstiegskurs in Sprache und Alltag für Neuankommende.",
    ),
    (
        "kosoe",
        "Deutschkurs für erwachsene Bürgerinnen und Bürger aus Rumänien und Bulgarien",
        "sprache-beruf",
        ["suedosteuropa"],
        "short_term",
        (2017, 3, 6),
        (2017, 10, 27),
        "0.00",
        [
            (PER, "Lehrkraft (180 UE)", "4500.00"),
            (MAT, "Lehrbücher", "540.30"),
            (OTH, "Kinderbetreuung während des Kurses", "200.00"),
        ],
        "Deutschkurs für Zugewanderte aus Südosteuropa mit begleitender Kinderbetreuung.",
    ),
    (
        "initiative",
        "Unterstützung bei der Wohnraumbeschaffung und Möblierung",
        "wohnen",
        ["bleibeperspektive-gesichert"],
        "short_term",
        (2017, 2, 15),
        (2017, 12, 31),
        "250.00",
        [
            (TRAV, "Transporter für Möbelfahrten", "1800.00"),
            (MAT, "Werkzeug und Kleinmaterial", "600.00"),
            (RENT, "Lagerraum", "600.00"),
        ],
        "Ehrenamtliche begleiten bei der Wohnungssuche und sammeln und liefern gespendete Möbel.",
    ),
    (
        "fbkjf",
        "Fachtag „Radikalisierung von Jugendlichen am Beispiel des Salafismus. Verstehen – Erkennen – Handeln“",
        "kinder-jugend-familie",
        ["bleibeperspektive-gesichert", "bleibeperspektive-unwahrscheinlich"],
        "model",
        (2017, 4, 5),
        (2017, 4, 5),
        "0.00",
        [
            (PER, "Referentenhonorare", "1200.00"),
            (RENT, "Saalmiete und Technik", "450.00"),
            (PR, "Flyer und Einladungen", "240.00"),
        ],
        "Ein Fachtag für Fachkräfte der Jugendhilfe und Schulen zu Prävention von Radikalisierung.",
    ),
]


# The 2017 budget of 200,000.00 EUR across the six action fields (sums to the budget).
ALLOCATIONS_2017 = {
    "ankommen": "40000.00",
    "kinder-jugend-familie": "35000.00",
    "sprache-beruf": "45000.00",
    "teilhabe": "35000.00",
    "wohnen": "25000.00",
    "netzwerk": "20000.00",
}
REALLOCATION_2017 = (
    "netzwerk",
    "sprache-beruf",
    "5000.00",
    "Umschichtung: hoher Bedarf an Sprachkursen für Neuzugewanderte aus Südosteuropa.",
)
ALLOCATIONS_NOW = dict.fromkeys(ALLOCATIONS_2017, "30000.00")


def _iban(bank_code, account):
    bban = f"{bank_code}{account}"
    return f"DE{stdnum_iban.calc_check_digits('DE00' + bban)}{bban}"


def _at(year, month, day, hour=10):
    return datetime.datetime(year, month, day, hour, tzinfo=BERLIN)
