"""Demo data, part two: the steering group and the 2017 rounds, replayed through the services.

By 2017-06-08 the steering group has approved 15 projects with exactly 52,440.30 EUR (the
seed, section 5): the six projects the seed names in round 1, five in round 2 (one more is
rejected), four in round 3 (one with a recusal: a Caritas member on a Caritas application;
one more is deferred). The chair signs the minutes of each session the same day, and the project
office records when each notice reached the applicant. Round 4 decides the deferred
application (rejected: the festival had taken place meanwhile; one member arrives late); round 5
received no application and is cancelled. No round of a past year stays open; the fiscal year
2017 itself stays open (its payments and refunds are booked there).
"""

import datetime
from decimal import Decimal

import time_machine
from django.utils import timezone

from fund_manager.applications.models import CostItem
from fund_manager.rounds import services as rounds
from fund_manager.rounds.models import FundingRound, RoundState, SteeringGroup, SteeringMember
from workflows import rounds as round_use_cases
from workflows import services as use_cases

PER, MAT, RENT, TRAV, PR, OTH = (
    CostItem.Category.PERSONNEL,
    CostItem.Category.MATERIAL,
    CostItem.Category.RENT,
    CostItem.Category.TRAVEL,
    CostItem.Category.PUBLIC_RELATIONS,
    CostItem.Category.OTHER,
)

# number, submission deadline, session date
ROUNDS_2017 = [
    (1, (2017, 1, 31), (2017, 2, 15)),
    (2, (2017, 3, 15), (2017, 3, 29)),
    (3, (2017, 5, 10), (2017, 6, 7)),
    (4, (2017, 8, 31), (2017, 9, 20)),
    (5, (2017, 10, 31), (2017, 11, 22)),
]
MEMBERS = ["vorsitz", "lenkung1", "lenkung2", "lenkung3", "lenkung4"]
SPRING = ((2017, 4, 15), (2017, 12, 15))
SUMMER = ((2017, 7, 1), (2017, 12, 31))
GROUPS = ["bleibeperspektive-gesichert", "suedosteuropa"]

# user, title, action field, period, cost items, submitted on, decision
FURTHER_PROJECTS = [
    (
        "traeger",
        "Sprachpaten für Familien",
        "sprache-beruf",
        SPRING,
        [(PER, "Honorare Koordination", "2800.00"), (MAT, "Lernmaterial", "400.00")],
        (2017, 2, 20),
        "yes",
    ),
    (
        "traeger2",
        "Schwimmkurse für geflüchtete Kinder",
        "kinder-jugend-familie",
        SPRING,
        [(PER, "Schwimmlehrkraft", "2400.00"), (RENT, "Bahnmiete", "450.00")],
        (2017, 2, 22),
        "yes",
    ),
    (
        "vhs",
        "Berufsorientierung für junge Geflüchtete",
        "sprache-beruf",
        SPRING,
        [(PER, "Dozentinnen und Dozenten", "3600.00"), (MAT, "Material", "500.00")],
        (2017, 2, 27),
        "yes",
    ),
    (
        "initiative",
        "Möbelbörse – Lager und Transport",
        "wohnen",
        SPRING,
        [(RENT, "Lagerraum", "1200.00"), (TRAV, "Transporte", "780.00")],
        (2017, 3, 1),
        "yes",
    ),
    (
        "kosoe",
        "Elterncafé für Familien aus Südosteuropa",
        "kinder-jugend-familie",
        SPRING,
        [(PER, "Moderation", "1800.00"), (MAT, "Verpflegung", "600.00")],
        (2017, 3, 6),
        "yes",
    ),
    (
        "drk",
        "Sanitätskurs für Jugendliche",
        "netzwerk",
        SPRING,
        [(PER, "Ausbilder", "1200.00"), (MAT, "Verbandsmaterial", "300.00")],
        (2017, 3, 8),
        "no",
    ),
    (
        "fbkjf",
        "Interkulturelle Ferienspiele",
        "kinder-jugend-familie",
        SUMMER,
        [(PER, "Betreuerinnen und Betreuer", "2900.00"), (MAT, "Material", "750.00")],
        (2017, 4, 3),
        "yes",
    ),
    (
        "caritas",
        "Patenschaften für geflüchtete Familien",
        "ankommen",
        SUMMER,
        [(PER, "Koordination", "1800.00"), (MAT, "Schulungsmaterial", "400.00")],
        (2017, 4, 10),
        "yes",
    ),
    (
        "traeger",
        "Dolmetschpool für die Beratung",
        "netzwerk",
        SUMMER,
        [(PER, "Dolmetschhonorare", "2500.00"), (PR, "Faltblätter", "250.00")],
        (2017, 4, 18),
        "yes",
    ),
    (
        "traeger2",
        "Fußball-AG für Mädchen",
        "teilhabe",
        SUMMER,
        [(PER, "Trainerin", "1800.00"), (MAT, "Ausrüstung", "600.00")],
        (2017, 4, 24),
        "yes",
    ),
    (
        "einewelt",
        "Interkulturelles Stadtteilfest",
        "teilhabe",
        SUMMER,
        [(PER, "Künstlerhonorare", "1200.00"), (MAT, "Bühne und Technik", "600.00")],
        (2017, 5, 2),
        "defer",
    ),
]
REJECTING_VOTES = {
    "vorsitz": "yes",
    "lenkung1": "no",
    "lenkung2": "abstain",
    "lenkung3": "no",
    "lenkung4": "no",
}


def _at(day, hour=10):
    return datetime.datetime(*day, hour, tzinfo=datetime.UTC)


def steering_group(seeder):
    group, _ = SteeringGroup.objects.get_or_create(
        fund=seeder.fund, defaults={"name": "Lenkungsgruppe Integration"}
    )
    for username in MEMBERS:
        SteeringMember.objects.get_or_create(
            group=group,
            user=seeder.users[username],
            since=datetime.date(2017, 1, 1),
            defaults={"is_chair": username == "vorsitz"},
        )
    return group


def plan_2017(seeder):
    """Before the first application of 2017: the five rounds, the first one open."""
    if FundingRound.objects.filter(fiscal_year=seeder.year_2017).exists():
        return
    office = seeder.users["projektbuero"]
    for number, deadline, session in ROUNDS_2017:
        rounds.plan_round(
            fiscal_year=seeder.year_2017,
            number=number,
            submission_deadline=datetime.date(*deadline),
            session_date=datetime.date(*session),
            by=office,
        )
    rounds.open_round(funding_round=_round(seeder, 1), by=office)


def _round(seeder, number):
    return FundingRound.objects.get(fiscal_year=seeder.year_2017, number=number)


def history_2017(seeder):
    """Rounds 1 to 3 with their sessions (runs once: round 1 is still open before it)."""
    if _round(seeder, 1).state != RoundState.OPEN:
        return
    decisions = {}
    for number in (1, 2, 3):
        _, deadline, session = ROUNDS_2017[number - 1]
        for user, title, field, period, items, submitted, decision in FURTHER_PROJECTS:
            if number > 1 and _deadline_of(submitted) == number:
                decisions[_submit_further(seeder, user, title, field, period, items, submitted)] = (
                    decision
                )
        office = seeder.users["projektbuero"]
        day_after = datetime.date(*deadline) + datetime.timedelta(days=1)
        with time_machine.travel(_at(day_after.timetuple()[:3]), tick=False):
            round_use_cases.close_submissions(funding_round=_round(seeder, number), by=office)
            rounds.open_round(funding_round=_round(seeder, number + 1), by=office)
        with time_machine.travel(_at(session), tick=False):
            _session(seeder, _round(seeder, number), decisions)
        with time_machine.travel(_at(session, 16), tick=False):
            round_use_cases.sign_minutes(
                funding_round=_round(seeder, number),
                minute_taker=seeder.users["projektbuero"].get_full_name(),
                by=seeder.users["vorsitz"],
            )
        # The notices go out by post the day after; they count as received three days later
        # (§ 41 Abs. 2 VwVfG NRW).
        received = datetime.date(*session) + datetime.timedelta(days=4)
        with time_machine.travel(_at(received.timetuple()[:3]), tick=False):
            for item in _round(seeder, number).items.filter(state__in=["approved", "rejected"]):
                rounds.record_notification(item=item, notified_on=received, via="post", by=office)
    total = sum(
        (a.approved_amount for a in seeder.year_2017.applications.filter(state="approved")),
        Decimal("0.00"),
    )
    seeder.out(f"  2017: rounds 1-3 decided, approved total {total}")


# A natural person's project (issue 13: open data without her name), decided in round 4.
PRIVATE_PROJECT = (
    "privat",
    "Interkultureller Nachbarschaftsgarten",
    "teilhabe",
    ((2017, 10, 1), (2017, 12, 31)),
    [(MAT, "Saatgut, Werkzeug, Hochbeete", "900.00"), (OTH, "Gemeinsames Erntefest", "300.00")],
    (2017, 8, 15),
)


def _deadline_of(submitted):
    day = datetime.date(*submitted)
    return next(n for n, deadline, _ in ROUNDS_2017 if day <= datetime.date(*deadline))


def _submit_further(seeder, user, title, field, period, items, submitted):
    start, end = period
    with time_machine.travel(_at(submitted), tick=False):
        application, _created = seeder._draft(
            user,
            title,
            field,
            GROUPS,
            "model",
            start,
            end,
            "0.00",
            items,
            f"{title}: ein Angebot für neu zugewanderte Menschen in Herne.",
            year=seeder.year_2017,
        )
        application = use_cases.submit_application(application=application, by=seeder.users[user])
    with time_machine.travel(_at(submitted, 15), tick=False):
        seeder.check(application, "eligible", "Fördervoraussetzungen erfüllt.")
    return application.pk


def _session(seeder, funding_round, decisions, late=()):
    """The session on its day: everyone present but ``late``, whose arrival the chair records
    half an hour after the opening; then the votes and the close."""
    chair = seeder.users["vorsitz"]
    round_use_cases.open_session(
        funding_round=funding_round,
        by=chair,
        present=[seeder.users[name].pk for name in MEMBERS if name not in late],
    )
    later = timezone.now() + datetime.timedelta(minutes=30 if late else 0)
    with time_machine.travel(later, tick=False):
        for name in late:
            rounds.record_attendance(
                funding_round=funding_round, member=seeder.users[name], arrived=True, by=chair
            )
        _votes(seeder, funding_round, decisions)
        round_use_cases.close_session(funding_round=funding_round, by=chair)


def _votes(seeder, funding_round, decisions):
    chair = seeder.users["vorsitz"]
    for item in funding_round.items.select_related("application").order_by("position"):
        decision = decisions.get(item.application_id, "yes")
        if decision == "defer":
            rounds.defer_item(item=item, by=chair)
            continue
        rounds.set_proposal(
            item=item, amount=item.application.requested_amount, conditions="", by=chair
        )
        recused = set(item.recusals.values_list("member__username", flat=True))
        for username in MEMBERS:
            if username in recused:
                continue
            choice = REJECTING_VOTES[username] if decision == "no" else "yes"
            rounds.cast_vote(item=item, choice=choice, by=seeder.users[username])


ROUND_4_LATE = "lenkung4"
ROUND_5_CANCELLATION = (
    "Bis zum Antragsschluss ist kein Antrag eingegangen; die Sitzung entfällt. Anträge für "
    "das Haushaltsjahr 2018 nimmt die erste Runde 2018 entgegen."
)


def finish_2017(seeder):
    """The rest of 2017 (runs once per step): round 4 decides the application deferred in
    round 3 and is minuted; round 5 received no application and is cancelled."""
    office, chair = seeder.users["projektbuero"], seeder.users["vorsitz"]
    fourth, fifth = _round(seeder, 4), _round(seeder, 5)
    if fourth.state == RoundState.OPEN:
        user, title, field, period, items, submitted = PRIVATE_PROJECT
        private = _submit_further(seeder, user, title, field, period, items, submitted)
        _, deadline, session = ROUNDS_2017[3]
        day_after = datetime.date(*deadline) + datetime.timedelta(days=1)
        with time_machine.travel(_at(day_after.timetuple()[:3]), tick=False):
            round_use_cases.close_submissions(funding_round=fourth, by=office)
            rounds.open_round(funding_round=fifth, by=office)
        # The Stadtteilfest (deferred in round 3) took place in the summer without a grant.
        decisions = {item.application_id: "no" for item in fourth.items.all()}
        decisions[private] = "yes"
        with time_machine.travel(_at(session), tick=False):
            _session(seeder, fourth, decisions, late=(ROUND_4_LATE,))
        with time_machine.travel(_at(session, 16), tick=False):
            round_use_cases.sign_minutes(
                funding_round=fourth, minute_taker=office.get_full_name(), by=chair
            )
        received = datetime.date(*session) + datetime.timedelta(days=4)
        with time_machine.travel(_at(received.timetuple()[:3]), tick=False):
            for item in fourth.items.filter(state__in=["approved", "rejected"]):
                rounds.record_notification(item=item, notified_on=received, via="post", by=office)
        seeder.out("  2017: round 4 decided and minuted")
    fifth.refresh_from_db()
    if fifth.state in (RoundState.PLANNED, RoundState.OPEN):
        _, deadline, _session_day = ROUNDS_2017[4]
        day_after = datetime.date(*deadline) + datetime.timedelta(days=1)
        with time_machine.travel(_at(day_after.timetuple()[:3]), tick=False):
            round_use_cases.cancel_round(
                funding_round=fifth, reason=ROUND_5_CANCELLATION, by=office
            )
        seeder.out("  2017: round 5 cancelled (no applications)")


def current_rounds(seeder):
    """This year: round 1, whose agenda is final, so that the chair finds "prepare the session"
    in the inbox, and round 2, open for applications (when it still fits into the year)."""
    year = seeder.year_now
    if FundingRound.objects.filter(fiscal_year=year).exists():
        return
    office = seeder.users["projektbuero"]
    today = timezone.localdate()
    first = rounds.plan_round(
        fiscal_year=year,
        number=1,
        submission_deadline=today,
        session_date=today + datetime.timedelta(days=7),
        by=office,
    )
    rounds.open_round(funding_round=first, by=office)  # collects the eligible applications
    round_use_cases.close_submissions(funding_round=first, by=office)
    deadline, session = today + datetime.timedelta(days=14), today + datetime.timedelta(days=21)
    if session.year == year.year:
        second = rounds.plan_round(
            fiscal_year=year,
            number=2,
            submission_deadline=deadline,
            session_date=session,
            by=office,
        )
        rounds.open_round(funding_round=second, by=office)
    seeder.out(f"  {year.year}: round 1 waits for its session ({first.items.count()} items)")
