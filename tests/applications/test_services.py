"""applications.services: drafts, derived amounts, references, completeness, refusals, audit."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from fund_manager.applications import services
from fund_manager.applications.content import CostLine
from fund_manager.applications.models import Application, CostItem, State
from fund_manager.applications.services import ApplicationError
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from policies.completeness import check_completeness
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    FundFactory,
    TargetGroupFactory,
    force_state,
    force_state_with_approval,
)
from workflows import services as use_cases

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
TODAY = datetime.date(2031, 5, 15)


# fiscal_year, action_field, target_group: tests/conftest.py


@pytest.fixture
def data(action_field):
    today = timezone.localdate()
    return {
        "title": "Sprachcafé für Familien",
        "summary": "Wöchentliches Treffen mit Kinderbetreuung.",
        "project_kind": Application.ProjectKind.MODEL,
        "approach": "Peer-Lernen; der Verein trägt das Angebot danach selbst.",
        "action_field": action_field,
        "location": "Herne-Mitte",
        "start_date": today + datetime.timedelta(days=20),
        "end_date": today + datetime.timedelta(days=200),
        "own_funds": Decimal("150.25"),
        "third_party_funds": Decimal("99.99"),
        "third_party_funds_source": "Stiftung Ruhr",
        "declares_not_otherwise_financeable": True,
        "declares_not_started": True,
        "declares_new_approach": True,
        "declares_sustainable": True,
    }


COST_LINES = [
    CostLine("personnel", "Honorar Sprachmittlerin", Decimal("1200.10")),
    CostLine("material", "Spiele und Bücher", Decimal("0.01")),
    CostLine("rent", "Raummiete", Decimal("333.33")),
]


def row_counts():
    return (Application.objects.count(), CostItem.objects.count(), AuditEntry.objects.count())


def state_of(application):
    """Everything a refused action must leave as it was."""
    application.refresh_from_db()
    return {
        "state": application.state,
        "reference": application.reference,
        "submitted_at": application.submitted_at,
        "updated_at": application.updated_at,
        "title": application.title,
        "own_funds": application.own_funds,
        "third_party_funds": application.third_party_funds,
        "start_date": application.start_date,
        "end_date": application.end_date,
        "action_field": application.action_field_id,
        "total_costs": application.total_costs,
        "requested_amount": application.requested_amount,
        "cost_items": list(application.cost_items.values_list("category", "description", "amount")),
        "target_groups": sorted(application.target_groups.values_list("pk", flat=True)),
        "audit": AuditEntry.objects.for_object(application).count(),
    }


# --- drafts ----------------------------------------------------------------------------------
def test_create_draft(provider, organisation, fiscal_year, data, target_group):
    application = services.create_application(
        by=provider,
        organisation=organisation,
        fiscal_year=fiscal_year,
        data=data,
        cost_items=COST_LINES,
        target_groups=[target_group],
    )

    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.reference is None
    assert application.submitted_at is None
    assert application.created_by == provider
    assert application.fund == fiscal_year.fund
    assert application.title == "Sprachcafé für Familien"
    assert list(application.target_groups.all()) == [target_group]
    assert list(application.cost_items.values_list("position", "category", "amount")) == [
        (0, "personnel", Decimal("1200.10")),
        (1, "material", Decimal("0.01")),
        (2, "rent", Decimal("333.33")),
    ]
    assert application.total_costs == Decimal("1533.44")
    assert application.requested_amount == Decimal("1283.20")
    [entry] = AuditEntry.objects.for_object(application)
    assert (entry.action, entry.actor) == ("application.created", provider)


@pytest.mark.parametrize(
    ("amounts", "own", "third", "total", "requested"),
    [
        (["1000.00", "234.56"], "100.00", "0.00", "1234.56", "1134.56"),
        (["0.10"] * 10, "0.00", "0.00", "1.00", "1.00"),  # SQLite sums REALs: 1.00000000000000
        (["0.01"], "0.00", "0.00", "0.01", "0.01"),
        (["99999999999.99", "0.01"], "0.00", "0.00", "100000000000.00", "100000000000.00"),
        (["500.00", "500.00"], "600.00", "400.00", "1000.00", "0.00"),
        (["100.00"], "150.50", "0.00", "100.00", "-50.50"),
        (["33.33", "33.33", "33.34"], "0.01", "0.02", "100.00", "99.97"),
    ],
)
def test_requested_amount_is_costs_minus_own_and_third_party_funds(
    provider, organisation, fiscal_year, data, amounts, own, third, total, requested
):
    data.update(own_funds=Decimal(own), third_party_funds=Decimal(third))
    lines = [CostLine("other", f"Posten {n}", Decimal(a)) for n, a in enumerate(amounts)]

    application = services.create_application(
        by=provider, organisation=organisation, fiscal_year=fiscal_year, data=data, cost_items=lines
    )

    for candidate in (application, Application.objects.get(pk=application.pk)):
        assert candidate.total_costs == Decimal(total)
        assert candidate.requested_amount == Decimal(requested)
        # Exactly two places, not 1.00000000000000 from a REAL sum.
        assert str(candidate.requested_amount) == requested


def test_update_draft_recalculates_and_audits(draft, provider, target_group):
    other_group = TargetGroupFactory(fund=draft.fund)

    updated = services.update_application(
        application=draft,
        by=provider,
        data={"title": "Neuer Titel", "own_funds": Decimal("10.50")},
        cost_items=[CostLine("travel", "Fahrtkosten", Decimal("80.00"))],
        target_groups=[other_group],
    )

    draft.refresh_from_db()
    assert updated.pk == draft.pk
    assert draft.title == "Neuer Titel"
    assert list(draft.cost_items.values_list("category", "amount")) == [
        ("travel", Decimal("80.00"))
    ]
    assert list(draft.target_groups.all()) == [other_group]
    assert draft.total_costs == Decimal("80.00")
    assert draft.requested_amount == Decimal("69.50")
    [entry] = AuditEntry.objects.for_object(draft)
    assert entry.action == "application.updated"
    assert entry.actor == provider
    assert entry.data == {"fields": ["cost_items", "own_funds", "target_groups", "title"]}


def test_update_without_cost_items_keeps_them(draft, provider):
    services.update_application(
        application=draft, by=provider, data={"third_party_funds": Decimal("34.56")}
    )

    draft.refresh_from_db()
    assert draft.cost_items.count() == 2
    assert draft.total_costs == Decimal("1234.56")
    assert draft.requested_amount == Decimal("1100.00")  # 1234.56 - 100.00 - 34.56
    entry = AuditEntry.objects.for_object(draft).get()
    assert entry.data == {"fields": ["third_party_funds"]}


@pytest.mark.parametrize(
    "data",
    [
        {"end_date": datetime.date(2000, 1, 1)},  # before the stored start
        # after the stored end, inside the window of project dates (defect 7)
        {"start_date": datetime.date(timezone.localdate().year + 2, 12, 31)},
    ],
    ids=["end-only", "start-only"],
)
def test_one_date_is_checked_against_the_stored_other(draft, provider, data):
    before = state_of(draft)

    with pytest.raises(InvalidInput) as excinfo:
        services.update_application(application=draft, by=provider, data=data)

    assert "end_date" in excinfo.value.fields
    assert state_of(draft) == before


def test_update_allowed_after_changes_were_requested(draft, provider):
    force_state(draft, State.CHANGES_REQUESTED)

    services.update_application(application=draft, by=provider, data={"title": "Überarbeitet"})

    draft.refresh_from_db()
    assert draft.title == "Überarbeitet"
    assert draft.state == State.CHANGES_REQUESTED


def test_delete_draft(draft, provider):
    pk = draft.pk

    services.delete_draft(application=draft, by=provider)

    assert not Application.objects.filter(pk=pk).exists()
    assert not CostItem.objects.filter(application_id=pk).exists()


def test_delete_refused_after_submission(submitted, provider):
    before = state_of(submitted)

    with pytest.raises(ApplicationError) as excinfo:
        services.delete_draft(application=submitted, by=provider)

    assert excinfo.value.code == "not_a_draft"
    assert state_of(submitted) == before


@pytest.mark.parametrize("who", ["other_provider", "office"])
def test_delete_refused_for_others(request, draft, who):
    before = state_of(draft)

    with pytest.raises(NotPermitted):
        services.delete_draft(application=draft, by=request.getfixturevalue(who))

    assert state_of(draft) == before


# --- references ------------------------------------------------------------------------------
def test_references_are_gapless_per_fiscal_year(organisation, provider):
    year = timezone.localdate().year
    this_year = FiscalYearFactory(year=year)
    next_year = FiscalYearFactory(year=year + 1)

    def submit(fiscal_year, **kwargs):
        application = ApplicationFactory(
            organisation=organisation, fiscal_year=fiscal_year, **kwargs
        )
        return use_cases.submit_application(application=application, by=provider)

    first = submit(this_year)
    incomplete = ApplicationFactory(organisation=organisation, fiscal_year=this_year, summary="")
    with pytest.raises(InvalidInput):
        use_cases.submit_application(application=incomplete, by=provider)
    second = submit(this_year)
    other_year = submit(next_year)
    third = submit(this_year)

    assert first.reference == f"VF-{year}-0001"
    assert second.reference == f"VF-{year}-0002"  # the refused submission used no number
    assert third.reference == f"VF-{year}-0003"
    assert other_year.reference == f"VF-{year + 1}-0001"
    incomplete.refresh_from_db()
    assert incomplete.reference is None


def test_resubmission_keeps_the_reference(submitted, provider, office):
    reference = submitted.reference
    services.start_review(application=submitted, by=office)
    services.request_changes(application=submitted, by=office, note="Bitte Belege beifügen.")
    submitted.refresh_from_db()

    again = use_cases.submit_application(application=submitted, by=provider)

    assert again.state == State.SUBMITTED
    assert again.reference == reference
    assert Application.objects.filter(reference__startswith="VF-").count() == 1


def test_withdrawn_application_keeps_its_number(organisation, provider):
    first = use_cases.submit_application(
        application=ApplicationFactory(organisation=organisation), by=provider
    )
    use_cases.withdraw_application(application=first, by=provider)

    second = use_cases.submit_application(
        application=ApplicationFactory(organisation=organisation), by=provider
    )

    year = timezone.localdate().year
    first.refresh_from_db()
    assert (first.reference, second.reference) == (f"VF-{year}-0001", f"VF-{year}-0002")


def test_resubmit_decides_on_the_current_row(submitted, provider, office):
    """Regression: submit or resubmit used to be chosen from the caller's (stale) copy."""
    services.start_review(application=submitted, by=office)
    services.request_changes(application=submitted, by=office, note="Bitte Belege beifügen.")
    stale = submitted  # still says "submitted" in memory; the row says "changes_requested"

    again = use_cases.submit_application(application=stale, by=provider)

    assert again.state == State.SUBMITTED
    assert (
        AuditEntry.objects.for_object(submitted).filter(action="application.resubmitted").exists()
    )


# --- completeness ----------------------------------------------------------------------------
@pytest.fixture
def frozen_today():
    """Fix "today" (Europe/Berlin) at TODAY."""
    with time_machine.travel(datetime.datetime(2031, 5, 15, 10, 0, tzinfo=BERLIN), tick=False):
        yield TODAY


def future(days):
    return TODAY + datetime.timedelta(days=days)


INCOMPLETE = [
    ("title", {"title": ""}),
    ("title", {"title": "   "}),
    ("summary", {"summary": ""}),
    ("project_kind", {"project_kind": ""}),
    ("approach", {"approach": " "}),
    ("action_field", {"action_field": None}),
    ("target_groups", {"target_groups": []}),
    ("start_date", {"start_date": None}),
    ("end_date", {"end_date": None}),
    ("start_date", {"start_date": TODAY - datetime.timedelta(days=1)}),
    ("start_date", {"start_date": datetime.date(2031, 1, 1)}),
    ("cost_items", {"cost_items": []}),
    ("requested_amount", {"own_funds": Decimal("1234.56")}),  # costs 1234.56: requested 0.00
    ("requested_amount", {"own_funds": Decimal("1000.00"), "third_party_funds": Decimal("300")}),
    ("declares_not_otherwise_financeable", {"declares_not_otherwise_financeable": False}),
    ("declares_not_started", {"declares_not_started": False}),
]


@pytest.mark.parametrize(
    ("field", "overrides"), INCOMPLETE, ids=[f"{f}-{i}" for i, (f, _o) in enumerate(INCOMPLETE)]
)
def test_submission_refused_while_incomplete(
    frozen_today, organisation, provider, field, overrides
):
    values = {"start_date": future(1), "end_date": future(90), **overrides}
    application = ApplicationFactory(organisation=organisation, **values)
    before = state_of(application)

    with pytest.raises(InvalidInput) as excinfo:
        use_cases.submit_application(application=application, by=provider)

    assert excinfo.value.code == "incomplete"
    assert field in excinfo.value.fields
    assert all(str(message) for message in excinfo.value.fields[field])
    assert state_of(application) == before
    assert before["state"] == State.DRAFT
    assert before["reference"] is None
    assert before["audit"] == 0


def test_incomplete_lists_every_open_point(frozen_today, organisation, provider):
    application = ApplicationFactory(
        organisation=organisation, summary="", action_field=None, cost_items=[]
    )

    with pytest.raises(InvalidInput) as excinfo:
        use_cases.submit_application(application=application, by=provider)

    assert set(excinfo.value.fields) == {
        "summary",
        "action_field",
        "cost_items",
        "requested_amount",
    }


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2031, 5, 15, 10, 0, tzinfo=BERLIN),
        datetime.datetime(2031, 5, 15, 0, 5, tzinfo=BERLIN),
        # Still 14 May in UTC, already 15 May in Herne: "today" is the local date.
        datetime.datetime(2031, 5, 14, 23, 30, tzinfo=datetime.UTC),
    ],
)
def test_start_today_is_accepted(organisation, provider, moment):
    with time_machine.travel(moment, tick=False):
        application = ApplicationFactory(
            organisation=organisation, start_date=TODAY, end_date=TODAY
        )

        submitted = use_cases.submit_application(application=application, by=provider)

    assert submitted.state == State.SUBMITTED


def test_end_before_start_is_an_open_point():
    """The database refuses such a row (next test), so the pure rule is checked on its own."""
    application = Application(
        title="Sprachcafé",
        summary="Treffen",
        project_kind=Application.ProjectKind.MODEL,
        approach="Peer-Lernen",
        action_field_id=1,
        start_date=future(10),
        end_date=future(9),
        requested_amount=Decimal("10.00"),
        declares_not_otherwise_financeable=True,
        declares_not_started=True,
    )

    problems = check_completeness(
        application, cost_items=[object()], target_group_count=1, today=TODAY
    )

    assert [problem.field for problem in problems] == ["end_date"]


def test_database_refuses_end_before_start(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=draft.pk).update(start_date=future(10), end_date=future(9))


# --- bad input on create and update ----------------------------------------------------------
def _lines(amount=Decimal("50.00"), category="material", description="Material"):
    return [CostLine(category, description, amount)]


BAD_INPUT = [
    ("own_funds", {"own_funds": Decimal("-0.01")}, None),
    ("third_party_funds", {"third_party_funds": Decimal("-5")}, None),
    ("own_funds", {"own_funds": Decimal("10.005")}, None),
    ("third_party_funds", {"third_party_funds": Decimal("0.001")}, None),
    ("cost_items", {}, {"amount": Decimal("0.00")}),
    ("cost_items", {}, {"amount": Decimal("-12.00")}),
    ("cost_items", {}, {"amount": Decimal("12.345")}),
    ("cost_items", {}, {"category": "catering"}),
    ("cost_items", {}, {"description": "   "}),
    ("end_date", {"start_date": TODAY, "end_date": TODAY - datetime.timedelta(days=1)}, None),
    ("action_field", "foreign_action_field", None),
    ("target_groups", "foreign_target_group", None),
]
BAD_INPUT_IDS = [f"{field}-{n}" for n, (field, _d, _c) in enumerate(BAD_INPUT)]


def _bad_arguments(data, overrides, line_overrides):
    """Turn a BAD_INPUT row into (data, cost_items, target_groups)."""
    target_groups = None
    if overrides == "foreign_action_field":
        data["action_field"] = ActionFieldFactory(fund=FundFactory(code="other", name="Anderer"))
    elif overrides == "foreign_target_group":
        target_groups = [TargetGroupFactory(fund=FundFactory(code="other", name="Anderer"))]
    else:
        data.update(overrides)
    cost_items = _lines(**line_overrides) if line_overrides is not None else None
    return data, cost_items, target_groups


@pytest.mark.parametrize(("field", "overrides", "line_overrides"), BAD_INPUT, ids=BAD_INPUT_IDS)
def test_bad_input_on_create_saves_nothing(
    provider, organisation, fiscal_year, data, target_group, field, overrides, line_overrides
):
    data, cost_items, target_groups = _bad_arguments(data, overrides, line_overrides)
    before = row_counts()

    with pytest.raises(InvalidInput) as excinfo:
        services.create_application(
            by=provider,
            organisation=organisation,
            fiscal_year=fiscal_year,
            data=data,
            cost_items=cost_items if cost_items is not None else COST_LINES,
            target_groups=target_groups if target_groups is not None else [target_group],
        )

    assert field in excinfo.value.fields
    assert row_counts() == before


@pytest.mark.parametrize(("field", "overrides", "line_overrides"), BAD_INPUT, ids=BAD_INPUT_IDS)
def test_bad_input_on_update_changes_nothing(draft, provider, field, overrides, line_overrides):
    data, cost_items, target_groups = _bad_arguments({}, overrides, line_overrides)
    before = state_of(draft)
    counts = row_counts()

    with pytest.raises(InvalidInput) as excinfo:
        services.update_application(
            application=draft,
            by=provider,
            data=data,
            cost_items=cost_items,
            target_groups=target_groups,
        )

    assert field in excinfo.value.fields
    assert state_of(draft) == before
    assert row_counts() == counts


def test_create_for_another_organisation_is_not_permitted(
    other_provider, organisation, fiscal_year, data
):
    before = row_counts()

    with pytest.raises(NotPermitted):
        services.create_application(
            by=other_provider, organisation=organisation, fiscal_year=fiscal_year, data=data
        )

    assert row_counts() == before


def test_create_refused_in_a_closed_fiscal_year(provider, organisation, fiscal_year, data):
    FiscalYear.objects.filter(pk=fiscal_year.pk).update(state=FiscalYear.State.CLOSED)
    fiscal_year.refresh_from_db()
    before = row_counts()

    with pytest.raises(ApplicationError):
        services.create_application(
            by=provider, organisation=organisation, fiscal_year=fiscal_year, data=data
        )

    assert row_counts() == before


def test_create_accepts_any_iterable(provider, organisation, fiscal_year, data, target_group):
    """Regression: validation used to exhaust an iterator, and nothing was saved."""
    application = services.create_application(
        by=provider,
        organisation=organisation,
        fiscal_year=fiscal_year,
        data=data,
        cost_items=(line for line in COST_LINES),
        target_groups=(group for group in [target_group]),
    )

    application.refresh_from_db()
    assert application.cost_items.count() == 3
    assert application.target_groups.count() == 1
    assert application.requested_amount == Decimal("1283.20")


def test_update_accepts_any_iterable(draft, provider):
    """Regression: validation used to exhaust an iterator and the cost plan was emptied."""
    services.update_application(
        application=draft, by=provider, data={}, cost_items=(line for line in COST_LINES)
    )

    draft.refresh_from_db()
    assert draft.cost_items.count() == 3


# --- refusals after submission and across organisations --------------------------------------
@pytest.mark.parametrize(
    "state", [s for s in State.values if s not in (State.DRAFT, State.CHANGES_REQUESTED)]
)
def test_provider_cannot_edit_after_submission(draft, provider, state):
    force_state_with_approval(draft, state)
    before = state_of(draft)

    with pytest.raises(ApplicationError) as excinfo:
        services.update_application(
            application=draft,
            by=provider,
            data={"title": "Nachträglich geändert", "own_funds": Decimal("0.00")},
            cost_items=_lines(),
        )

    assert excinfo.value.code == "not_editable"
    assert state_of(draft) == before


@pytest.mark.parametrize("who", ["other_provider", "office"])
def test_others_cannot_edit(request, draft, who):
    before = state_of(draft)

    with pytest.raises(NotPermitted):
        services.update_application(
            application=draft, by=request.getfixturevalue(who), data={"title": "Fremd"}
        )

    assert state_of(draft) == before


@pytest.mark.parametrize("note", ["", "   ", None])
@pytest.mark.parametrize("action", ["request_changes", "mark_ineligible"])
def test_a_note_is_required(submitted, office, action, note):
    services.start_review(application=submitted, by=office)
    before = state_of(submitted)

    with pytest.raises(InvalidInput) as excinfo:
        getattr(services, action)(application=submitted, by=office, note=note)

    assert "note" in excinfo.value.fields
    assert state_of(submitted) == before
    assert before["state"] == State.IN_REVIEW


def test_the_note_is_kept_in_the_audit_trail(submitted, office):
    services.start_review(application=submitted, by=office)

    services.request_changes(application=submitted, by=office, note="Bitte Angebot beilegen.")

    entry = AuditEntry.objects.for_object(submitted).get(action="application.changes_requested")
    assert entry.data == {
        "note": "Bitte Angebot beilegen.",
        "from": State.IN_REVIEW,
        "to": State.CHANGES_REQUESTED,
    }


# --- the audit trail is append-only ----------------------------------------------------------
@pytest.fixture
def entry(submitted):
    return AuditEntry.objects.for_object(submitted).get()


def test_audit_entry_cannot_be_saved_again(entry):
    entry.action = "application.rewritten"

    with pytest.raises(TypeError):
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).action == "application.submitted"


def test_audit_entry_cannot_be_deleted(entry):
    with pytest.raises(TypeError):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "write",
    [
        lambda qs: qs.update(action="application.rewritten"),
        lambda qs: qs.delete(),
        lambda qs: AuditEntry.objects.all().delete(),
        lambda qs: AuditEntry.objects.bulk_update(list(qs), ["action"]),
    ],
    ids=["update", "delete", "delete-all", "bulk_update"],
)
def test_audit_queryset_cannot_change_entries(entry, write):
    # bulk_update runs in atomic(savepoint=False): give it a savepoint of its own.
    with pytest.raises(TypeError), transaction.atomic():
        write(AuditEntry.objects.filter(pk=entry.pk))

    assert AuditEntry.objects.get(pk=entry.pk).action == "application.submitted"


# --- defect 7: project dates lie in a plausible window around the fiscal year -----------------
FAR_FUTURE = datetime.date(9999, 12, 1)


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_defect_07_create_refuses_a_date_outside_the_window(
    provider, organisation, fiscal_year, data, field
):
    data = {**data, field: FAR_FUTURE}
    if field == "start_date":
        data["end_date"] = datetime.date.max

    with pytest.raises(InvalidInput) as excinfo:
        services.create_application(
            by=provider, organisation=organisation, fiscal_year=fiscal_year, data=data
        )

    first, last = f"01.01.{fiscal_year.year - 1}", f"31.12.{fiscal_year.year + 2}"
    assert first in str(excinfo.value.fields[field][0])
    assert last in str(excinfo.value.fields[field][0])
    assert row_counts() == (0, 0, 0)


def test_defect_07_update_refuses_a_date_outside_the_window(draft, provider):
    before = state_of(draft)

    with pytest.raises(InvalidInput) as excinfo:
        services.update_application(application=draft, by=provider, data={"start_date": FAR_FUTURE})

    assert set(excinfo.value.fields) == {"start_date"}
    assert state_of(draft) == before


# --- defects 8 and 11: the services refuse what a form or serializer would ---------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Sprachcafé\u0001\u0002"),
        ("title", "Sprachcafé\nfür alle"),
        ("location", "Herne\tMitte"),
        ("third_party_funds_source", "Stiftung\u0085"),
        ("summary", "Treffen\u0007"),
        ("approach", "Neu\u000bAnsatz"),
        ("summary", "x" * (Application._meta.get_field("summary").max_length + 1)),
        ("approach", "x" * 100_000),
        ("title", "x" * (Application._meta.get_field("title").max_length + 1)),
    ],
)
def test_defect_08_11_create_refuses_bad_text(
    provider, organisation, fiscal_year, data, field, value
):
    with pytest.raises(InvalidInput) as excinfo:
        services.create_application(
            by=provider,
            organisation=organisation,
            fiscal_year=fiscal_year,
            data={**data, field: value},
            cost_items=COST_LINES,
        )

    assert list(excinfo.value.fields) == [field]
    assert row_counts() == (0, 0, 0)


def test_defect_08_multi_line_texts_keep_their_lines(provider, organisation, fiscal_year, data):
    application = services.create_application(
        by=provider,
        organisation=organisation,
        fiscal_year=fiscal_year,
        data={**data, "summary": "Erstens\n\tZweitens\r\n", "approach": "a\nb"},
    )
    application.refresh_from_db()
    assert application.summary == "Erstens\n\tZweitens\r\n"


def test_defect_08_a_cost_line_with_a_control_character_is_refused(draft, provider):
    before = state_of(draft)

    with pytest.raises(InvalidInput) as excinfo:
        services.update_application(
            application=draft,
            by=provider,
            data={},
            cost_items=[CostLine("rent", "Miete\u0001", Decimal("10.00"))],
        )

    assert list(excinfo.value.fields) == ["cost_items"]
    assert "Zeile 1" in str(excinfo.value.fields["cost_items"][0])
    assert state_of(draft) == before


def test_defect_08_11_notes_and_reasons_are_checked(submitted, provider, office):
    before = state_of(submitted)
    with pytest.raises(InvalidInput):
        use_cases.withdraw_application(application=submitted, by=provider, reason="weg\u0001")
    with pytest.raises(InvalidInput):
        use_cases.withdraw_application(
            application=submitted, by=provider, reason="x" * (services.NOTE_MAX_LENGTH + 1)
        )
    assert state_of(submitted) == before
