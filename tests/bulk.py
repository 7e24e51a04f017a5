"""Many applications at once, for the query-count tests ("10 or 10,000 applications") and the
benchmarks of issue 13: bulk-inserted rows that look like what the services leave behind.

``populate(n)`` makes ``n`` applications of one fiscal year, spread over the states of the
process, each with the audit entries the statistics read (submission; the steering group's
decision with its snapshot and round; the state changes) and, for the approved ones, the
commitment booked in the ledger (``post_transfers``, one batch), so that the after-test
ledger checks hold. A share of the approved applications are "in payment" with a payment
request (requested, certified or ordered; no money has moved yet). Nothing runs through the
use cases: this measures the read paths, not the services.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from fund_manager.ledger import services as ledger_services
from fund_manager.ledger.bookings import Booking, account_ref
from fund_manager.ledger.models import AccountKind, TransferKind
from fund_manager.ledger.posting import post_transfers
from fund_manager.payments.models import PaymentRequest
from fund_manager.reporting import journal
from fund_manager.rounds.models import FundingRound
from tests.factories import (
    ActionFieldFactory,
    FiscalYearFactory,
    OrganisationFactory,
    TargetGroupFactory,
    provider_user,
    user_with_role,
)

CHUNK = 2000
AMOUNT = Decimal("1000.00")

# The share of the applications in each state, in this order, repeated (20 a cycle).
CYCLE = [
    State.DRAFT,
    State.SUBMITTED,
    State.SUBMITTED,
    State.IN_REVIEW,
    State.CHANGES_REQUESTED,
    State.ELIGIBLE,
    State.INELIGIBLE,
    State.SCHEDULED,
    State.APPROVED,
    State.APPROVED,
    State.APPROVED,
    State.IN_PAYMENT,
    State.IN_PAYMENT,
    State.IN_PAYMENT,
    State.IN_PAYMENT,
    State.REJECTED,
    State.WITHDRAWN,
    State.APPROVED,
    State.IN_PAYMENT,
    State.SUBMITTED,
]
DECIDED = {State.APPROVED, State.IN_PAYMENT, State.REJECTED}
PAYMENT_STATES = ("requested", "certified", "ordered")


@dataclass
class BulkWorld:
    fund: object
    fiscal_year: object
    fields: list
    groups: list
    organisations: list
    rounds: list
    users: dict = field(default_factory=dict)
    count: int = 0
    approved: int = 0


def populate(n, *, year=None, organisations=20) -> BulkWorld:
    """``n`` applications of one new fiscal year (``year``: its calendar year, default this
    one), with users per role: world.users["office"|"finance"|"auditor"|"steering"|"chair"|
    "provider"] (the provider is a member of world.organisations[0])."""
    today = timezone.localdate()
    fiscal_year = FiscalYearFactory(year=year or today.year)
    fund = fiscal_year.fund
    fields = [ActionFieldFactory(fund=fund, name=f"Handlungsfeld {i + 1}") for i in range(6)]
    groups = [TargetGroupFactory(fund=fund, name=f"Zielgruppe {i + 1}") for i in range(3)]
    orgs = [OrganisationFactory() for _ in range(organisations)]
    users = {
        "office": user_with_role("project_office"),
        "finance": user_with_role("finance"),
        "auditor": user_with_role("auditor"),
        "steering": user_with_role("steering_member"),
        "chair": user_with_role("chair"),
        "provider": provider_user(orgs[0]),
    }
    start = datetime.date(fiscal_year.year, 1, 1)
    rounds = [
        FundingRound.objects.create(
            fiscal_year=fiscal_year,
            number=number,
            submission_deadline=start + datetime.timedelta(days=60 * number),
            session_date=start + datetime.timedelta(days=60 * number + 14),
        )
        for number in (1, 2, 3, 4, 5)
    ]
    world = BulkWorld(fund, fiscal_year, fields, groups, orgs, rounds, users, count=n)
    states = [CYCLE[i % len(CYCLE)] for i in range(n)]
    approved_per_field = {}
    for i, state in enumerate(states):
        if state in (State.APPROVED, State.IN_PAYMENT):
            key = fields[i % len(fields)].pk
            approved_per_field[key] = approved_per_field.get(key, Decimal("0")) + AMOUNT
            world.approved += 1
    _budget(fiscal_year, fields, approved_per_field, users["finance"])
    creator = users["provider"]
    now = timezone.now()
    for begin in range(0, n, CHUNK):
        _chunk(world, states, begin, min(n, begin + CHUNK), creator, now)
    # The audit entries went in in bulk, past the services: the statistics journal is written
    # from the history, as after the migration of an older installation.
    journal.rebuild()
    return world


def _budget(fiscal_year, fields, per_field, finance):
    total = sum(per_field.values(), Decimal("0")) + Decimal("10000.00")
    ledger_services.set_budget(
        fiscal_year=fiscal_year, amount=total, by=finance, idempotency_key="bulk-budget"
    )
    for action_field in fields:
        amount = per_field.get(action_field.pk, Decimal("0")) + Decimal("1000.00")
        ledger_services.allocate(
            fiscal_year=fiscal_year,
            action_field=action_field,
            amount=amount,
            by=finance,
            idempotency_key=f"bulk-allocate-{action_field.pk}",
        )


def _chunk(world, states, begin, end, creator, now):
    year = world.fiscal_year
    fields, groups, orgs = world.fields, world.groups, world.organisations
    applications = []
    for i in range(begin, end):
        state = states[i]
        holding = state in (State.APPROVED, State.IN_PAYMENT)
        applications.append(
            Application(
                fund=world.fund,
                fiscal_year=year,
                organisation=orgs[i % len(orgs)],
                action_field=fields[i % len(fields)],
                created_by=creator,
                title=f"Projekt „Begegnung {i}“ in Herne",
                # Unique across calls: the year's row number before the sequence.
                reference=f"VF-{year.year}-{year.pk:03d}{i + 1:06d}",
                total_costs=AMOUNT,
                requested_amount=AMOUNT,
                approved_amount=AMOUNT if holding else None,
                state=state,
                submitted_at=None if state == State.DRAFT else now - datetime.timedelta(days=3),
                start_date=datetime.date(year.year, 6, 1),
                end_date=datetime.date(year.year, 11, 30),
            )
        )
    Application.objects.bulk_create(applications)
    if not applications[0].pk:  # SQLite before 3.35 returns no ids
        by_reference = dict(
            Application.objects.filter(
                reference__in=[a.reference for a in applications]
            ).values_list("reference", "pk")
        )
        for application in applications:
            application.pk = by_reference[application.reference]
    through = Application.target_groups.through
    through.objects.bulk_create(
        through(application_id=a.pk, targetgroup_id=groups[(begin + k) % len(groups)].pk)
        for k, a in enumerate(applications)
    )
    _audit(world, applications, states, begin, now)
    _commitments(world, applications, states, begin)
    _payments(world, applications, states, begin, now)


def _audit(world, applications, states, begin, now):
    content_type = ContentType.objects.get_for_model(Application)
    office, chair = world.users["office"], world.users["chair"]
    entries = []

    def entry(application, action, actor, state_from, state_to, at, data=None):
        entries.append(
            AuditEntry(
                content_type=content_type,
                object_id=str(application.pk),
                action=action,
                actor=actor,
                data=data or {},
                state_from=state_from,
                state_to=state_to,
            )
        )
        entries[-1]._at = at

    decided_at = now - datetime.timedelta(days=1)
    for k, application in enumerate(applications):
        state = states[begin + k]
        submitted = now - datetime.timedelta(days=3)
        entry(application, "application.created", application.created_by, "", "", submitted)
        if state == State.DRAFT:
            continue
        entry(
            application,
            "application.submitted",
            application.created_by,
            "draft",
            "submitted",
            submitted,
        )
        if state == State.SUBMITTED:
            continue
        if state == State.WITHDRAWN:
            entry(
                application,
                "application.withdrawn",
                application.created_by,
                "submitted",
                "withdrawn",
                decided_at,
            )
            continue
        entry(
            application, "application.review_started", office, "submitted", "in_review", submitted
        )
        if state == State.IN_REVIEW:
            continue
        if state in (State.CHANGES_REQUESTED, State.INELIGIBLE):
            action = {
                State.CHANGES_REQUESTED: "application.changes_requested",
                State.INELIGIBLE: "application.marked_ineligible",
            }[state]
            entry(application, action, office, "in_review", state, decided_at)
            continue
        entry(
            application, "application.marked_eligible", office, "in_review", "eligible", submitted
        )
        if state == State.ELIGIBLE:
            continue
        funding_round = world.rounds[(begin + k) % len(world.rounds)]
        entry(
            application,
            "application.scheduled",
            office,
            "eligible",
            "scheduled",
            submitted,
            {"round": str(funding_round), "position": 1},
        )
        if state == State.SCHEDULED:
            continue
        approved = state != State.REJECTED
        snapshot = {
            "fiscal_year": application.fiscal_year_id,
            "action_field": application.action_field.code,
            "target_groups": [world.groups[(begin + k) % len(world.groups)].code],
            "organisation": application.organisation_id,
            "organisation_kind": application.organisation.kind,
            "requested_amount": str(AMOUNT),
            "approved_amount": str(AMOUNT) if approved else "",
        }
        entry(
            application,
            "application.approved" if approved else "application.rejected",
            chair,
            "scheduled",
            "approved" if approved else "rejected",
            decided_at,
            {
                "round": str(funding_round),
                "round_id": funding_round.pk,
                "outcome": {},
                "snapshot": snapshot,
            },
        )
        if state == State.IN_PAYMENT:
            entry(
                application,
                "application.payment_started",
                application.created_by,
                "approved",
                "in_payment",
                now,
            )
    AuditEntry.objects.bulk_create(entries, batch_size=CHUNK)
    # ``at`` is auto_now_add: set the historical times afterwards, per time (a few UPDATEs).
    at_field = AuditEntry._meta.get_field("at")
    by_time = {}
    for item in entries:
        by_time.setdefault(item._at, []).append(item.pk)
    for at, pks in by_time.items():
        for start in range(0, len(pks), 500):
            AuditEntry.objects.filter(pk__in=pks[start : start + 500])._update(
                [(at_field, None, at)]
            )


def _commitments(world, applications, states, begin):
    bookings = [
        Booking(
            source=account_ref(AccountKind.AVAILABLE, action_field=application.action_field_id),
            target=account_ref(
                AccountKind.COMMITTED,
                action_field=application.action_field_id,
                application=application.pk,
            ),
            amount=AMOUNT,
            kind=TransferKind.COMMITMENT,
            reason="Beschluss der Lenkungsgruppe",
            idempotency_key=f"bulk-commit-{application.pk}",
            application=application,
        )
        for k, application in enumerate(applications)
        if states[begin + k] in (State.APPROVED, State.IN_PAYMENT)
    ]
    if bookings:
        post_transfers(fiscal_year=world.fiscal_year, bookings=bookings, by=world.users["chair"])


def _payments(world, applications, states, begin, now):
    office, finance = world.users["office"], world.users["finance"]
    payments = []
    for k, application in enumerate(applications):
        if states[begin + k] != State.IN_PAYMENT:
            continue
        state = PAYMENT_STATES[(begin + k) % len(PAYMENT_STATES)]
        payments.append(
            PaymentRequest(
                application=application,
                fiscal_year=world.fiscal_year,
                number=1,
                payment_key=f"{application.reference}-1",
                amount=Decimal("400.00"),
                needed_by=timezone.localdate(),
                declaration=True,
                state=state,
                requested_by=application.created_by,
                requested_at=now,
                certified_by=office if state != "requested" else None,
                certified_at=now if state != "requested" else None,
                ordered_by=finance if state == "ordered" else None,
                ordered_at=now if state == "ordered" else None,
            )
        )
    PaymentRequest.objects.bulk_create(payments, batch_size=CHUNK)
