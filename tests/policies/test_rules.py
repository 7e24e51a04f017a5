"""policies.rules: every guideline rule as a table of passing, failing and boundary cases."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fund_manager.applications.models import Application
from fund_manager.organisations.models import Organisation
from policies import guidelines
from policies.findings import (
    APPLICANT_KINDS,
    FAIL,
    PASS,
    PROJECT_KINDS,
    REVIEW,
    Facts,
    Finding,
)
from policies.guideline_values import money as rules_money
from policies.guideline_values import percent as rules_percent
from policies.periods import add_months, period_end
from policies.rules import RULES, blocking, evaluate

D = datetime.date
TODAY = D(2031, 5, 15)
ACTION_FIELDS = frozenset(
    {"ankommen", "kinder-jugend-familie", "sprache-beruf", "teilhabe", "wohnen", "netzwerk"}
)
TARGET_GROUPS = frozenset(
    {"bleibeperspektive-gesichert", "bleibeperspektive-unwahrscheinlich", "suedosteuropa"}
)
ALL_APPLICANTS = ("provider", "initiative", "municipal")
ALL_PROJECTS = ("model", "short_term")
MAX = Decimal("10000.00")
EUR = "\u00a0€"  # format_amount puts a no-break space before the sign

# An eligible application: every rule passes, "new_approach" asks the office for review.
ELIGIBLE = Facts(
    organisation_kind="initiative",
    action_field_code="sprache-beruf",
    valid_action_field_codes=ACTION_FIELDS,
    target_group_codes=("suedosteuropa",),
    valid_target_group_codes=TARGET_GROUPS,
    project_kind="model",
    declares_not_otherwise_financeable=True,
    declares_new_approach=True,
    declares_sustainable=True,
    approach_text="Ehrenamtliche Sprachpaten aus der eigenen Community.",
    start_date=D(2031, 6, 1),
    end_date=D(2031, 12, 31),
    submitted_on=TODAY,
    fiscal_year=2031,
    total_costs=Decimal("1200.00"),
    own_funds=Decimal("150.00"),
    third_party_funds=Decimal("50.00"),
    requested_amount=Decimal("1000.00"),
    cost_item_count=3,
    open_duplicates=(),
)


def facts(**overrides) -> Facts:
    return dataclasses.replace(ELIGIBLE, **overrides)


def money(**amounts) -> dict:
    return {name: Decimal(value) for name, value in amounts.items()}


def check(rule_id, overrides, params) -> Finding:
    finding = RULES[rule_id].check(facts(**overrides), params)
    assert finding.rule == rule_id
    assert finding.message.startswith(f"{RULES[rule_id].title}: ")
    return finding


# --- one table per rule: (overrides of ELIGIBLE, parameters, expected outcome) ----------------
@pytest.mark.parametrize(
    ("overrides", "params", "outcome"),
    [
        pytest.param({"organisation_kind": "provider"}, ALL_APPLICANTS, PASS, id="pass-provider"),
        pytest.param(
            {"organisation_kind": "initiative"}, ALL_APPLICANTS, PASS, id="pass-initiative"
        ),
        pytest.param({"organisation_kind": "municipal"}, ALL_APPLICANTS, PASS, id="pass-municipal"),
        pytest.param(
            {"organisation_kind": "company"}, ALL_APPLICANTS, FAIL, id="fail-unknown-kind"
        ),
        pytest.param({"organisation_kind": ""}, ALL_APPLICANTS, FAIL, id="fail-no-kind"),
        pytest.param(
            {"organisation_kind": "municipal"}, ("provider",), FAIL, id="fail-kind-not-allowed"
        ),
    ],
)
def test_applicant_kind(overrides, params, outcome):
    assert check("applicant_kind", overrides, {"allowed_kinds": params}).outcome == outcome


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        pytest.param({"action_field_code": "wohnen"}, PASS, id="pass"),
        pytest.param({"action_field_code": None}, FAIL, id="fail-none"),
        pytest.param({"action_field_code": ""}, FAIL, id="fail-empty"),
        pytest.param({"action_field_code": "sport"}, FAIL, id="fail-not-of-this-fund"),
        pytest.param({"valid_action_field_codes": frozenset()}, FAIL, id="boundary-fund-has-none"),
    ],
)
def test_action_field(overrides, outcome):
    assert check("action_field", overrides, {}).outcome == outcome


@pytest.mark.parametrize(
    ("codes", "outcome"),
    [
        pytest.param(("suedosteuropa",), PASS, id="boundary-exactly-one"),
        pytest.param(tuple(sorted(TARGET_GROUPS)), PASS, id="pass-all-three"),
        pytest.param((), FAIL, id="fail-none"),
        pytest.param(("suedosteuropa", "senioren"), FAIL, id="fail-one-unknown"),
    ],
)
def test_target_groups(codes, outcome):
    assert check("target_groups", {"target_group_codes": codes}, {}).outcome == outcome


@pytest.mark.parametrize(
    ("kind", "allowed", "outcome"),
    [
        pytest.param("model", ALL_PROJECTS, PASS, id="pass-model"),
        pytest.param("short_term", ALL_PROJECTS, PASS, id="pass-short-term"),
        pytest.param("", ALL_PROJECTS, FAIL, id="fail-not-chosen"),
        pytest.param("permanent", ALL_PROJECTS, FAIL, id="fail-unknown"),
        pytest.param("short_term", ("model",), FAIL, id="fail-kind-not-allowed"),
    ],
)
def test_project_kind(kind, allowed, outcome):
    finding = check("project_kind", {"project_kind": kind}, {"allowed_kinds": allowed})
    assert finding.outcome == outcome


@pytest.mark.parametrize(
    ("declared", "outcome"),
    [pytest.param(True, PASS, id="pass-declared"), pytest.param(False, FAIL, id="fail-missing")],
)
def test_not_otherwise_financeable(declared, outcome):
    overrides = {"declares_not_otherwise_financeable": declared}
    assert check("not_otherwise_financeable", overrides, {}).outcome == outcome


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        pytest.param({}, REVIEW, id="review-with-text"),
        pytest.param(
            {"declares_new_approach": False, "declares_sustainable": False},
            REVIEW,
            id="review-even-without-declarations",
        ),
        pytest.param({"approach_text": ""}, FAIL, id="fail-no-text"),
        pytest.param({"approach_text": " \n "}, FAIL, id="fail-blank-text"),
    ],
)
def test_new_approach(overrides, outcome):
    assert check("new_approach", overrides, {}).outcome == outcome


def test_new_approach_shows_the_office_the_applicants_text_and_declarations():
    finding = check("new_approach", {"declares_sustainable": False}, {})

    assert "„Ehrenamtliche Sprachpaten aus der eigenen Community.“" in finding.message
    assert "neuer Ansatz ja, Beitrag zu nachhaltiger Integration nein" in finding.message


@pytest.mark.parametrize(
    ("start", "outcome"),
    [
        pytest.param(TODAY + datetime.timedelta(days=1), PASS, id="pass-tomorrow"),
        pytest.param(TODAY, PASS, id="boundary-start-today"),
        pytest.param(TODAY - datetime.timedelta(days=1), FAIL, id="fail-yesterday"),
        pytest.param(None, FAIL, id="fail-no-start"),
    ],
)
def test_not_started(start, outcome):
    assert check("not_started", {"start_date": start}, {}).outcome == outcome


@pytest.mark.parametrize(
    ("requested", "outcome"),
    [
        pytest.param("1000.00", PASS, id="pass"),
        pytest.param("10000.00", PASS, id="boundary-exactly-the-maximum"),
        pytest.param("10000.01", FAIL, id="fail-a-cent-above-the-maximum"),
        pytest.param("0.01", PASS, id="boundary-one-cent"),
        pytest.param("0.00", FAIL, id="fail-zero"),
        pytest.param("-5.00", FAIL, id="fail-negative"),
    ],
)
def test_amount_range(requested, outcome):
    finding = check("amount_range", money(requested_amount=requested), {"max_amount": MAX})
    assert finding.outcome == outcome


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        pytest.param({}, PASS, id="pass"),
        pytest.param(
            {
                "cost_item_count": 1,
                **money(
                    total_costs="1000.00",
                    own_funds="0.00",
                    third_party_funds="0.00",
                    requested_amount="1000.00",
                ),
            },
            PASS,
            id="boundary-one-item-no-other-funds",
        ),
        pytest.param(
            {
                "cost_item_count": 0,
                **money(
                    total_costs="0.00",
                    own_funds="0.00",
                    third_party_funds="0.00",
                    requested_amount="0.00",
                ),
            },
            FAIL,
            id="boundary-empty-cost-plan",
        ),
        pytest.param({"cost_item_count": 0}, FAIL, id="fail-no-items-even-if-the-sums-match"),
        pytest.param(money(requested_amount="1000.01"), FAIL, id="fail-a-cent-too-much"),
        pytest.param(money(requested_amount="999.99"), FAIL, id="fail-a-cent-too-little"),
        pytest.param(money(third_party_funds="0"), FAIL, id="fail-third-party-funds-ignored"),
    ],
)
def test_cost_plan_consistent(overrides, outcome):
    assert check("cost_plan_consistent", overrides, {}).outcome == outcome


@pytest.mark.parametrize(
    ("own", "total", "minimum", "outcome"),
    [
        pytest.param("150.00", "1200.00", "10", PASS, id="pass-12.5-percent"),
        pytest.param("120.00", "1200.00", "10", PASS, id="boundary-exactly-the-minimum"),
        pytest.param("119.99", "1200.00", "10", FAIL, id="fail-a-cent-below-the-minimum"),
        pytest.param("0.00", "1200.00", "0", PASS, id="boundary-no-share-required"),
        pytest.param("1.00", "3.00", "33.33", PASS, id="pass-a-third-against-33.33"),
        pytest.param("1.00", "3.00", "33.34", FAIL, id="fail-a-third-against-33.34"),
        pytest.param("0.00", "0.00", "0", FAIL, id="fail-no-total-costs"),
    ],
)
def test_own_contribution(own, total, minimum, outcome):
    finding = check(
        "own_contribution",
        money(own_funds=own, total_costs=total),
        {"min_own_share_percent": Decimal(minimum)},
    )
    assert finding.outcome == outcome


@pytest.mark.parametrize(
    ("start", "end", "limit", "outcome"),
    [
        pytest.param(D(2031, 6, 1), D(2031, 9, 30), 12, PASS, id="pass-four-months"),
        pytest.param(D(2031, 6, 1), D(2031, 6, 1), 12, PASS, id="pass-one-day"),
        pytest.param(D(2031, 1, 1), D(2031, 12, 31), 12, PASS, id="boundary-exactly-12-months"),
        pytest.param(D(2031, 1, 1), D(2032, 1, 1), 12, FAIL, id="fail-a-day-too-long"),
        pytest.param(D(2031, 5, 15), D(2032, 5, 14), 12, PASS, id="boundary-mid-month"),
        pytest.param(D(2031, 5, 15), D(2032, 5, 15), 12, FAIL, id="fail-mid-month"),
        pytest.param(D(2031, 1, 31), D(2031, 2, 28), 1, PASS, id="boundary-short-february"),
        pytest.param(D(2031, 1, 31), D(2031, 3, 1), 1, FAIL, id="fail-short-february"),
        pytest.param(D(2031, 6, 2), D(2031, 6, 1), 12, FAIL, id="fail-ends-before-start"),
        pytest.param(D(2031, 6, 1), None, 12, FAIL, id="fail-no-end"),
        pytest.param(None, D(2031, 6, 1), 12, FAIL, id="fail-no-start"),
    ],
)
def test_duration(start, end, limit, outcome):
    overrides = {"start_date": start, "end_date": end}
    assert check("duration", overrides, {"max_duration_months": limit}).outcome == outcome


@pytest.mark.parametrize(
    ("end", "months_after", "outcome"),
    [
        pytest.param(D(2031, 12, 31), 6, PASS, id="pass-within-the-year"),
        pytest.param(D(2032, 6, 30), 6, PASS, id="boundary-end-exactly-at-the-limit"),
        pytest.param(D(2032, 7, 1), 6, FAIL, id="fail-a-day-after-the-limit"),
        pytest.param(D(2031, 12, 31), 0, PASS, id="boundary-no-months-after"),
        pytest.param(D(2032, 1, 1), 0, FAIL, id="fail-no-months-after"),
        pytest.param(D(2032, 2, 29), 2, PASS, id="boundary-leap-february"),
        pytest.param(D(2032, 3, 1), 2, FAIL, id="fail-leap-february"),
        pytest.param(None, 6, FAIL, id="fail-no-end"),
    ],
)
def test_end_date_limit(end, months_after, outcome):
    finding = check(
        "end_date_limit", {"end_date": end}, {"months_after_fiscal_year_end": months_after}
    )
    assert finding.outcome == outcome


@pytest.mark.parametrize(
    ("duplicates", "outcome"),
    [
        pytest.param((), PASS, id="pass-none"),
        pytest.param(("VF-2031-0003",), FAIL, id="fail-one"),
        pytest.param(("VF-2031-0003", "VF-2031-0007"), FAIL, id="fail-two"),
    ],
)
def test_no_double_funding(duplicates, outcome):
    finding = check("no_double_funding", {"open_duplicates": duplicates}, {})
    assert finding.outcome == outcome
    assert all(reference in finding.message for reference in duplicates)


# --- messages: German, naming the rule and the value of its parameter -------------------------
@pytest.mark.parametrize(
    ("rule_id", "overrides", "params", "expected"),
    [
        pytest.param(
            "applicant_kind",
            {"organisation_kind": "municipal"},
            {"allowed_kinds": ("provider", "initiative")},
            "Antragsberechtigung: Die Art des Antragstellers („städtische Einrichtung“) ist nicht "
            "zugelassen. Zugelassen sind: freier Träger, Initiative/Verein.",
            id="applicant_kind",
        ),
        pytest.param(
            "amount_range",
            money(requested_amount="10000.01"),
            {"max_amount": MAX},
            f"Förderbetrag: Beantragt sind 10.000,01{EUR}; das übersteigt den Höchstbetrag von "
            f"10.000,00{EUR} je Antrag.",
            id="amount_range",
        ),
        pytest.param(
            "cost_plan_consistent",
            money(requested_amount="1000.01"),
            {},
            f"Kosten- und Finanzierungsplan: Der beantragte Betrag von 1.000,01{EUR} stimmt nicht "
            f"mit dem Finanzierungsplan überein: Gesamtkosten 1.200,00{EUR} − Eigenmittel "
            f"150,00{EUR} − Drittmittel 50,00{EUR} = 1.000,00{EUR}.",
            id="cost_plan_consistent",
        ),
        pytest.param(
            "own_contribution",
            money(own_funds="119.99"),
            {"min_own_share_percent": Decimal("10")},
            f"Eigenanteil: Eigenmittel von 119,99{EUR} sind 9,99\u00a0% der Gesamtkosten von "
            f"1.200,00{EUR}; verlangt sind mindestens 10\u00a0% der Gesamtkosten.",
            id="own_contribution",
        ),
        pytest.param(
            "not_started",
            {"start_date": D(2031, 5, 14)},
            {},
            "Kein vorzeitiger Maßnahmebeginn: Der Projektbeginn am 14.05.2031 liegt vor der "
            "Antragstellung am 15.05.2031; ein bereits begonnenes Projekt kann nicht gefördert "
            "werden.",
            id="not_started",
        ),
        pytest.param(
            "duration",
            {"start_date": D(2031, 3, 1), "end_date": D(2032, 3, 1)},
            {"max_duration_months": 12},
            "Projektdauer: Das Projekt dauert vom 01.03.2031 bis 01.03.2032 und damit länger als "
            "12 Monate; es müsste spätestens am 29.02.2032 enden.",
            id="duration",
        ),
        pytest.param(
            "end_date_limit",
            {"end_date": D(2032, 6, 30)},
            {"months_after_fiscal_year_end": 6},
            "Spätestes Projektende: Das Projekt endet am 30.06.2032; zulässig ist ein Ende "
            "spätestens am 30.06.2032 (Ende des Haushaltsjahres 2031 zuzüglich 6 Monate).",
            id="end_date_limit",
        ),
        pytest.param(
            "no_double_funding",
            {"open_duplicates": ("VF-2031-0003",)},
            {},
            "Keine Doppelförderung: Für dasselbe Projekt liegt bereits ein offener Antrag "
            "derselben Organisation vor: VF-2031-0003.",
            id="no_double_funding",
        ),
    ],
)
def test_messages_name_the_rule_and_its_parameter(rule_id, overrides, params, expected):
    assert check(rule_id, overrides, params).message == expected


# --- evaluating a whole guideline -------------------------------------------------------------
def test_an_eligible_application_under_v1_passes_everything_but_the_offices_review():
    findings = evaluate(ELIGIBLE, guidelines.load("1"))

    assert [finding.rule for finding in findings] == [
        item.id for item in guidelines.load("1").rules
    ]
    assert {f.rule: f.outcome for f in findings if f.outcome != PASS} == {"new_approach": REVIEW}
    assert blocking(findings) == []


def test_blocking_lists_the_failed_rules_in_order():
    findings = evaluate(
        facts(start_date=TODAY - datetime.timedelta(days=3), open_duplicates=("VF-2031-0001",)),
        guidelines.load("1"),
    )

    assert [finding.rule for finding in blocking(findings)] == ["not_started", "no_double_funding"]


def test_a_finding_is_stored_as_a_plain_dict():
    finding = Finding("amount_range", PASS, "Förderbetrag: …")

    assert finding.to_dict() == {
        "rule": "amount_range",
        "outcome": "pass",
        "message": "Förderbetrag: …",
    }


def test_a_finding_has_one_of_three_outcomes():
    with pytest.raises(ValueError, match="Unknown outcome"):
        Finding("amount_range", "maybe", "…")


def test_v1_uses_every_registered_rule():
    assert {item.id for item in guidelines.load("1").rules} == set(RULES)


def test_the_kind_labels_follow_the_models():
    assert set(APPLICANT_KINDS) == set(Organisation.Kind.values)
    assert set(PROJECT_KINDS) == set(Application.ProjectKind.values)


# --- calendar helpers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        pytest.param(D(2031, 1, 15), 1, D(2031, 2, 15), id="same-day"),
        pytest.param(D(2031, 1, 31), 1, D(2031, 2, 28), id="clamped-to-february"),
        pytest.param(D(2031, 12, 31), 2, D(2032, 2, 29), id="leap-year"),
        pytest.param(D(2031, 11, 30), 14, D(2033, 1, 30), id="over-a-year"),
        pytest.param(D(2031, 5, 15), 0, D(2031, 5, 15), id="zero"),
    ],
)
def test_add_months(day, count, expected):
    assert add_months(day, count) == expected


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        pytest.param(D(2031, 3, 1), 12, D(2032, 2, 29), id="first-of-month"),
        pytest.param(D(2031, 1, 15), 12, D(2032, 1, 14), id="mid-month"),
        pytest.param(D(2031, 1, 31), 1, D(2031, 2, 28), id="missing-day"),
        pytest.param(D(2031, 3, 30), 11, D(2032, 2, 29), id="missing-day-leap"),
    ],
)
def test_period_end(start, count, expected):
    assert period_end(start, count) == expected


# --- defect 7: the rules are total over every date they can receive ---------------------------
EXTREME_DAYS = [
    D.min,
    D(1, 1, 31),
    D(1, 2, 1),
    D(999, 12, 31),
    D(9999, 1, 31),
    D(9999, 12, 1),
    D(9999, 12, 30),
    D.max,
]


@pytest.mark.parametrize("end", [None, *EXTREME_DAYS], ids=str)
@pytest.mark.parametrize("start", [None, *EXTREME_DAYS], ids=str)
def test_defect_07_v1_rules_never_raise_on_extreme_dates(start, end):
    guideline = guidelines.load("1")
    for submitted_on in (D.min, TODAY, D.max):
        for fiscal_year in (1, 2031, 9999):
            findings = evaluate(
                facts(
                    start_date=start,
                    end_date=end,
                    submitted_on=submitted_on,
                    fiscal_year=fiscal_year,
                ),
                guideline,
            )
            assert [f.rule for f in findings] == [item.id for item in guideline.rules]
            assert all(f.message for f in findings)


@pytest.mark.parametrize(
    ("start", "end", "months", "outcome", "last"),
    [
        # The period would end after 31.12.9999: every end the calendar knows lies within it.
        pytest.param(D(9999, 12, 1), D.max, 12, PASS, "30.11.10000", id="past-the-calendar"),
        pytest.param(D.max, D.max, 1, PASS, "30.01.10000", id="last-day"),
        # A period of 0 months starting on 1.1.0001 ends the day before: nothing fits.
        pytest.param(D.min, D.min, 0, FAIL, "31.12.0000", id="before-the-calendar"),
        pytest.param(D.min, D(1, 12, 31), 12, PASS, "31.12.0001", id="first-year"),
    ],
)
def test_defect_07_duration_at_the_ends_of_the_calendar(start, end, months, outcome, last):
    finding = check(
        "duration", {"start_date": start, "end_date": end}, {"max_duration_months": months}
    )
    assert finding.outcome == outcome
    assert last in finding.message


@pytest.mark.parametrize(
    ("fiscal_year", "end", "months", "outcome", "last"),
    [
        pytest.param(9999, D.max, 6, PASS, "30.06.10000", id="fiscal-year-9999"),
        pytest.param(9999, D.max, 0, PASS, "31.12.9999", id="exactly-the-last-day"),
        pytest.param(1, D(1, 12, 31), 0, PASS, "31.12.0001", id="year-one"),
        pytest.param(1, D(2, 1, 1), 0, FAIL, "31.12.0001", id="year-one-too-late"),
    ],
)
def test_defect_07_end_date_limit_at_the_ends_of_the_calendar(
    fiscal_year, end, months, outcome, last
):
    finding = check(
        "end_date_limit",
        {"fiscal_year": fiscal_year, "end_date": end},
        {"months_after_fiscal_year_end": months},
    )
    assert finding.outcome == outcome
    assert last in finding.message


def test_defect_07_days_are_written_with_four_digit_years():
    finding = check("not_started", {"start_date": D.min, "submitted_on": D(999, 1, 2)}, {})
    assert "01.01.0001" in finding.message
    assert "02.01.0999" in finding.message


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        pytest.param(D(9999, 12, 1), 1, D.max, id="add-months-past-the-calendar"),
        pytest.param(D.max, 1200, D.max, id="add-many-months-past-the-calendar"),
    ],
)
def test_defect_07_add_months_stops_at_the_calendars_end(day, count, expected):
    assert add_months(day, count) == expected
    assert period_end(day, count) == expected


@settings(max_examples=300, deadline=None)
@given(
    start=st.one_of(st.none(), st.dates()),
    end=st.one_of(st.none(), st.dates()),
    submitted_on=st.dates(),
    fiscal_year=st.integers(min_value=1, max_value=9999),
    duration_months=st.integers(min_value=0, max_value=100_000),
    months_after=st.integers(min_value=0, max_value=100_000),
)
def test_defect_07_date_rules_are_total(
    start, end, submitted_on, fiscal_year, duration_months, months_after
):
    changed = facts(
        start_date=start, end_date=end, submitted_on=submitted_on, fiscal_year=fiscal_year
    )
    for rule_id, params in (
        ("not_started", {}),
        ("duration", {"max_duration_months": duration_months}),
        ("end_date_limit", {"months_after_fiscal_year_end": months_after}),
    ):
        finding = RULES[rule_id].check(changed, params)
        assert finding.outcome in (PASS, FAIL)
        assert finding.message


# --- defect 10: guideline amounts and shares take ASCII digits only ---------------------------
@pytest.mark.parametrize(
    ("convert", "value"),
    [
        (rules_money, "１００００.００"),
        (rules_money, "١٠٠٠٠.٠٠"),
        (rules_percent, "１０"),
        (rules_percent, "١٠"),
    ],
)
def test_defect_10_guideline_parameters_refuse_non_ascii_digits(convert, value):
    with pytest.raises(ValueError, match="0-9"):
        convert(value)
