"""Demo data: the Herne integration fund of the seed document, replayed through the services.

Idempotent: every object is looked up by a natural key first, so running it twice changes
nothing. Applications of 2017 are created and moved at their historical dates (time-machine),
so submission times and the "no early start" rule stay truthful.
"""

import datetime
from decimal import Decimal

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from fund_manager.applications import services
from fund_manager.applications.content import CostLine
from fund_manager.applications.models import Application
from fund_manager.funds.models import ActionField, FiscalYear, Fund, TargetGroup
from fund_manager.ledger import services as ledger_services
from fund_manager.organisations.models import Membership, Organisation
from policies.rules import Assessment
from workflows import services as process

from . import payments as demo_payments
from . import rounds as demo_rounds
from .data import (
    ACTION_FIELDS,
    ALLOCATIONS_2017,
    ALLOCATIONS_NOW,
    MAT,
    NATURAL_PERSONS,
    ORGANISATIONS,
    PASSWORD,
    PER,
    REALLOCATION_2017,
    SEED_PROJECTS,
    TARGET_GROUPS,
    USERS,
    _at,
    _iban,
)

# The project office's assessment of a rule that needs a human judgement (new_approach) when
# the demo finds an application eligible: shown on the check page and in the history.
MET_REASON = (
    "Neuer Ansatz in Herne; das Angebot trägt erkennbar zu einer nachhaltigen Integration bei."
)


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
        demo_payments.replay_2017(self)
        self.current_examples()
        demo_rounds.current_rounds(self)

    # --- reference data ---------------------------------------------------------------------
    def reference_data(self):
        self.fund, _ = Fund.objects.get_or_create(
            code="integration-herne",
            defaults={
                "name": "Integration von Neuzugewanderten",
                "owner_department": "Stadt Herne – Projekt „Integration von Flüchtlingen“",
                "description": (
                    "Förderung modellhafter sowie kurzfristig notwendiger Integrationsprojekte, "
                    "die anderweitig nicht finanzierbar sind (Ratsvorlage 2017/0429, Abschnitt 5)."
                ),
                # The open data (issue 13): Herne's municipality key (AGS 05916000).
                "open_data_attribution": "Stadt Herne",
                "open_data_publisher": "Stadt Herne",
                "open_data_contact_email": "verfuegungsfonds@example.org",
                "open_data_geocoding_uri": (
                    "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/059160000000"
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
                    "natural_person": name in NATURAL_PERSONS,
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
                reason=f"Haushaltsansatz {self.fund.name} {year.year}",
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
                application = process.submit_application(
                    application=application, by=self.users[user]
                )
            with time_machine.travel(_at(2017, 1, 30 + index // 3), tick=False):
                self.check(
                    application,
                    "eligible",
                    "Fördervoraussetzungen nach Abschnitt 5 der Förderrichtlinien erfüllt.",
                )
            self.out(f"  2017: {application.reference} {application.title[:60]} (eligible)")

    def check(self, application, outcome, note, reason=""):
        """The project office takes the check task from its queue, assesses the rules that
        need a human judgement (met for "eligible", not met with ``reason`` for "ineligible")
        and decides it."""
        office = self.users["projektbuero"]
        task = process.claim_check(task=process.open_task(application), by=office)
        _check, to_assess = process.rules_to_assess(application)
        assessments = {}
        if outcome == "eligible":
            reason = reason or MET_REASON
            assessments = {spec.id: Assessment(spec.id, True, reason) for spec in to_assess}
        elif outcome == "ineligible":
            reason = reason or note
            assessments = {spec.id: Assessment(spec.id, False, reason) for spec in to_assess}
        process.complete_check(
            task=task, by=office, outcome=outcome, note=note, assessments=assessments
        )

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
            application = process.submit_application(application=application, by=by)
            if target == "withdrawn":
                process.withdraw_application(
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
                    "Eine Vereinsfahrt ins Ausland ist kein neuer Ansatz der Integrationsförderung "
                    "in Herne.",
                )
            elif target == "eligible":
                self.check(application, "eligible", "")
            self.out(f"  {year.year}: {application.reference} {title} ({target})")
        return draft
