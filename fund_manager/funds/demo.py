"""Demo data: the Herne integration fund of the seed document, replayed through the services.

Idempotent: every object is looked up by a natural key first, so running it twice changes
nothing. Applications of 2017 are created and moved at their historical dates (time-machine),
so submission times and the "no early start" rule stay truthful.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from stdnum import iban as stdnum_iban

from fund_manager.applications import services
from fund_manager.applications.models import Application, CostItem
from fund_manager.applications.services import CostLine
from fund_manager.core.roles import Role
from fund_manager.ledger import services as ledger_services
from fund_manager.organisations.models import Membership, Organisation
from workflows import services as process

from . import demo_rounds
from .models import ActionField, FiscalYear, Fund, TargetGroup

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
]

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


class Seeder:
    def __init__(self, out=print):
        self.out = out
        self.users = {}

    def run(self):
        with transaction.atomic():
            self.reference_data()
            self.organisations()
            self.people()
        with time_machine.travel(_at(2017, 1, 3), tick=False):
            self.ledger(self.year_2017, ALLOCATIONS_2017, REALLOCATION_2017)
            demo_rounds.steering_group(self)
            demo_rounds.plan_2017(self)
        self.ledger(self.year_now, ALLOCATIONS_NOW, None)
        self.seed_projects_2017()
        demo_rounds.history_2017(self)
        demo_rounds.finish_2017(self)
        self.current_examples()
        demo_rounds.current_rounds(self)

    # --- reference data ---------------------------------------------------------------------
    def reference_data(self):
        self.fund, _ = Fund.objects.get_or_create(
            code="integration-herne",
            defaults={
                "name": "Verfügungsfonds Integration",
                "owner_department": "Stadt Herne – Projekt „Integration von Flüchtlingen“",
                "description": (
                    "Förderung modellhafter sowie kurzfristig notwendiger Integrationsprojekte, "
                    "die anderweitig nicht finanzierbar sind (Ratsvorlage 2017/0429, Abschnitt 5)."
                ),
            },
        )
        # The budgets are booked in the ledger (see ``ledger``), not typed into the year.
        self.year_2017, _ = FiscalYear.objects.get_or_create(fund=self.fund, year=2017)
        this_year = timezone.localdate().year
        self.year_now, _ = FiscalYear.objects.get_or_create(fund=self.fund, year=this_year)
        self.fields = {}
        for position, (code, name) in enumerate(ACTION_FIELDS):
            self.fields[code], _ = ActionField.objects.get_or_create(
                fund=self.fund, code=code, defaults={"name": name, "position": position}
            )
        self.groups = {}
        for position, (code, name) in enumerate(TARGET_GROUPS):
            self.groups[code], _ = TargetGroup.objects.get_or_create(
                fund=self.fund, code=code, defaults={"name": name, "position": position}
            )

    def organisations(self):
        self.orgs = {}
        for name, kind, street, creditor, bank in ORGANISATIONS:
            self.orgs[name], _ = Organisation.objects.get_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "street": street,
                    "postal_code": "44623",
                    "city": "Herne",
                    "creditor_number": creditor,
                    "iban": _iban(*bank) if bank else "",
                    "account_holder": name if bank else "",
                },
            )

    def people(self):
        User = get_user_model()
        for username, first, last, roles, org in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(PASSWORD)
                user.save()
            user.groups.add(*Group.objects.filter(name__in=[r.value for r in roles]))
            if org:
                Membership.objects.get_or_create(organisation=self.orgs[org], user=user)
            self.users[username] = user
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.org"},
        )
        if created:
            admin.set_password(PASSWORD)
            admin.save()
        self.users["admin"] = admin

    # --- ledger -----------------------------------------------------------------------------
    def ledger(self, year, allocations, reallocation):
        """Budget, allocations and a reallocation, booked by finance through the ledger."""
        finance = self.users["kaemmerei"]
        key = f"demo:{year.year}"
        if year.budget != Decimal("200000.00"):
            ledger_services.set_budget(
                fiscal_year=year,
                amount=Decimal("200000.00"),
                by=finance,
                idempotency_key=f"{key}:budget",
                reason=f"Haushaltsansatz Verfügungsfonds {year.year}",
            )
        for code, amount in allocations.items():
            ledger_services.allocate(
                fiscal_year=year,
                action_field=self.fields[code],
                amount=Decimal(amount),
                by=finance,
                idempotency_key=f"{key}:allocate:{code}",
            )
        if reallocation:
            source, target, amount, reason = reallocation
            ledger_services.reallocate(
                fiscal_year=year,
                from_field=self.fields[source],
                to_field=self.fields[target],
                amount=Decimal(amount),
                reason=reason,
                by=finance,
                idempotency_key=f"{key}:reallocate:1",
            )

    # --- applications -----------------------------------------------------------------------
    def _draft(self, username, title, field, groups, kind, start, end, own, items, summary, year):
        user = self.users[username]
        organisation = user.memberships.first().organisation
        existing = Application.objects.filter(organisation=organisation, title=title).first()
        if existing:
            return existing, False
        application = services.create_application(
            by=user,
            organisation=organisation,
            fiscal_year=year,
            data={
                "title": title,
                "summary": summary,
                "project_kind": kind,
                "approach": (
                    "Neuer Zugang über Vertrauenspersonen aus den Communities; die Strukturen "
                    "bleiben nach Projektende in der Regelarbeit erhalten."
                ),
                "action_field": self.fields[field],
                "location": "Herne",
                "start_date": datetime.date(*start),
                "end_date": datetime.date(*end),
                "own_funds": Decimal(own),
                "third_party_funds": Decimal("0.00"),
                "declares_not_otherwise_financeable": True,
                "declares_not_started": True,
                "declares_new_approach": True,
                "declares_sustainable": True,
            },
            cost_items=[CostLine(c, d, Decimal(a)) for c, d, a in items],
            target_groups=[self.groups[g] for g in groups],
        )
        return application, True

    def seed_projects_2017(self):
        for index, project in enumerate(SEED_PROJECTS):
            user = project[0]
            with time_machine.travel(_at(2017, 1, 16 + index), tick=False):
                application, created = self._draft(*project, year=self.year_2017)
            if not created:
                continue
            with time_machine.travel(_at(2017, 1, 23 + index), tick=False):
                application = services.submit_application(
                    application=application, by=self.users[user]
                )
            with time_machine.travel(_at(2017, 1, 30 + index // 3), tick=False):
                self.check(
                    application,
                    "eligible",
                    "Fördervoraussetzungen nach Abschnitt 5 der Förderrichtlinien erfüllt.",
                )
            self.out(f"  2017: {application.reference} {application.title[:60]} (eligible)")

    def check(self, application, outcome, note):
        """The project office takes the check task from its queue and decides it."""
        office = self.users["projektbuero"]
        task = process.claim_check(task=process.open_task(application), by=office)
        process.complete_check(task=task, by=office, outcome=outcome, note=note)

    def current_examples(self):
        """Applications of this year in every state the foundation can reach."""
        office = self.users["projektbuero"]
        today = timezone.localdate()
        start = today + datetime.timedelta(days=45)
        end = start + datetime.timedelta(days=120)
        year = self.year_now

        def make(username, title, field, groups, own, items, summary):
            return self._draft(
                username,
                title,
                field,
                groups,
                "model",
                start.timetuple()[:3],
                end.timetuple()[:3],
                own,
                items,
                summary,
                year=year,
            )

        draft, _ = make(
            "traeger",
            "Sprachcafé für Eltern",
            "sprache-beruf",
            ["bleibeperspektive-gesichert"],
            "150.00",
            [(MAT, "Getränke und Material", "450.00"), (PER, "Honorar Moderation", "1200.00")],
            "Wöchentliches Sprachcafé für Eltern, parallel zur Hausaufgabenbetreuung.",
        )
        steps = [
            (
                "traeger",
                "Hausaufgabenhilfe in der Unterkunft",
                "kinder-jugend-familie",
                "changes_requested",
            ),
            ("traeger", "Begegnungsfest im Stadtteil", "teilhabe", "withdrawn"),
            ("traeger2", "Schwimmkurs für Frauen", "teilhabe", "submitted"),
            ("traeger2", "Fußball-Ferienlager", "kinder-jugend-familie", "in_review"),
            ("traeger2", "Vereinsfahrt ins Ausland", "teilhabe", "ineligible"),
            ("caritas", "Familienpatenschaften", "ankommen", "eligible"),
            ("vhs", "Deutschkurs mit Kinderbetreuung", "sprache-beruf", "eligible"),
            (
                "kosoe",
                "Lernwerkstatt für Kinder aus Südosteuropa",
                "kinder-jugend-familie",
                "eligible",
            ),
            ("drk", "Erste-Hilfe-Kurse in einfacher Sprache", "netzwerk", "submitted"),
        ]
        for username, title, field, target in steps:
            application, created = make(
                username,
                title,
                field,
                ["bleibeperspektive-gesichert", "suedosteuropa"],
                "200.00",
                [(PER, "Honorare", "2400.00"), (MAT, "Sachkosten", "650.00")],
                f"{title}: ein Angebot für neu zugewanderte Menschen in Herne.",
            )
            if not created:
                continue
            by = self.users[username]
            application = services.submit_application(application=application, by=by)
            if target == "withdrawn":
                services.withdraw_application(
                    application=application, by=by, reason="Das Fest findet ohne Förderung statt."
                )
            if target == "in_review":
                process.claim_check(task=process.open_task(application), by=office)
            elif target == "changes_requested":
                self.check(
                    application,
                    "changes_requested",
                    "Bitte den Kostenplan nach Honorar- und Sachkosten aufschlüsseln.",
                )
            elif target == "ineligible":
                self.check(
                    application,
                    "ineligible",
                    "Fahrten ins Ausland sind nach den Förderrichtlinien nicht förderfähig.",
                )
            elif target == "eligible":
                self.check(application, "eligible", "")
            self.out(f"  {year.year}: {application.reference} {title} ({target})")
        return draft
