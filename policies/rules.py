"""The funding guideline's rules as pure functions: facts in, findings out.

A guideline version (``policies/guidelines/v<N>.yaml``) lists which rules apply, in which order,
with which parameters. Each rule here is one function ``(facts, params) -> Finding``; it reads
plain values only (no model, no query, no clock), so the same facts under the same version give
the same findings today and in ten years. The caller collects the facts from the application
and pins the guideline version on it; ``evaluate`` runs the version's rules in the file's order.

Messages are plain German strings on purpose, the one exception to "translate at display
time" (STYLE.md no. 8): findings are stored in the application's history as evidence of what
was checked, with which values, under which version, so they must read exactly as they were
rendered on the day of the check, whatever the catalogue says later.
"""

import calendar
import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from fund_manager.core.money import MAX_AMOUNT, ZERO, format_amount

if TYPE_CHECKING:
    from policies.guidelines import Guideline

PASS, FAIL, REVIEW = "pass", "fail", "review"
OUTCOMES = (PASS, FAIL, REVIEW)

# German labels of the codes a guideline may allow; the keys equal
# ``Organisation.Kind`` and ``Application.ProjectKind`` (a test keeps them in step).
APPLICANT_KINDS = {
    "provider": "freier Träger",
    "initiative": "Initiative/Verein",
    "municipal": "städtische Einrichtung",
}
PROJECT_KINDS = {
    "model": "Modellprojekt",
    "short_term": "kurzfristig notwendiges Projekt",
}


@dataclass(frozen=True, kw_only=True)
class Facts:
    """Everything the rules look at, as plain values (built by the caller from the application).

    ``submitted_on`` is the day of submission; for a check before submitting, today.
    ``open_duplicates`` holds the references of other open applications of the same
    organisation for the same project.
    """

    organisation_kind: str
    action_field_code: str | None
    valid_action_field_codes: frozenset[str]
    target_group_codes: tuple[str, ...]
    valid_target_group_codes: frozenset[str]
    project_kind: str
    declares_not_otherwise_financeable: bool
    declares_new_approach: bool
    declares_sustainable: bool
    approach_text: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    submitted_on: datetime.date
    fiscal_year: int
    total_costs: Decimal
    own_funds: Decimal
    third_party_funds: Decimal
    requested_amount: Decimal
    cost_item_count: int
    open_duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    rule: str
    outcome: str
    message: str

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"Unknown outcome {self.outcome!r}.")

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "outcome": self.outcome, "message": self.message}


# --- Parameter types: the loader converts the YAML values with these; ValueError = bad value. --
def money(value) -> Decimal:
    """A non-negative amount written as a string ("10000.00"): YAML would read 10000.00 as float."""
    if not isinstance(value, str):
        raise ValueError(f'write the amount as a quoted string, e.g. "10000.00" (got {value!r})')
    if not value.isascii():  # Decimal() would read "１０" as 10 (issue 9, defect 10)
        raise ValueError(f"{value!r} is not an amount: use the digits 0-9")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite() or not ZERO <= amount <= MAX_AMOUNT:
        raise ValueError(f"{value!r} must be a non-negative amount up to {MAX_AMOUNT}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} has more than two decimals")
    return amount.quantize(Decimal("0.01"))


def percent(value) -> Decimal:
    """A share from 0 to 100, written as a string ("10" or "12.5")."""
    if not isinstance(value, str):
        raise ValueError(f'write the percentage as a quoted string, e.g. "10" (got {value!r})')
    if not value.isascii():
        raise ValueError(f"{value!r} is not a number: use the digits 0-9")
    try:
        share = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not share.is_finite() or not ZERO <= share <= 100:
        raise ValueError(f"{value!r} must lie between 0 and 100")
    return share


def months(value) -> int:
    """A whole number of months, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a whole number of months, 0 or more (got {value!r})")
    return value


def one_or_more_of(labels: Mapping[str, str]) -> Callable[[object], tuple[str, ...]]:
    """A non-empty list of codes, each one of ``labels``."""

    def convert(value) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise ValueError(f"must be a non-empty list of {sorted(labels)} (got {value!r})")
        unknown = [code for code in value if code not in labels]
        if unknown:
            raise ValueError(f"unknown {unknown!r}; allowed are {sorted(labels)}")
        if len(set(value)) != len(value):
            raise ValueError(f"lists a code twice: {value!r}")
        return tuple(value)

    return convert


# --- Registry ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    check: Callable[[Facts, Mapping], Finding]
    parameters: Mapping[str, Callable[[object], object]]


RULES: dict[str, RuleSpec] = {}


def rule(rule_id: str, *, title: str, **parameters):
    """Register a rule under its stable id, with its German title and parameter types."""

    def register(check):
        RULES[rule_id] = RuleSpec(rule_id, title, check, parameters)
        return check

    return register


def _finding(rule_id: str, outcome: str, text: str) -> Finding:
    return Finding(rule_id, outcome, f"{RULES[rule_id].title}: {text}")


def _pass_if(condition: bool) -> str:
    return PASS if condition else FAIL


# --- German formatting (fixed, see the module docstring) --------------------------------------
def _eur(value) -> str:
    return format_amount(value, language="de")


def _pct(value: Decimal) -> str:
    """12.5 -> '12,5 %', 10 -> '10 %'; shares are cut, never rounded up past a limit."""
    value = value.quantize(Decimal("0.01"), rounding=ROUND_DOWN).normalize()
    return f"{value:f}".replace(".", ",") + "\u00a0%"


def _day(value: "datetime.date | _Day") -> str:
    """31.12.2031; four-digit years always (strftime writes year 1 as "1"), and a day past the
    calendar (a period that would end in the year 10000) is written as it is."""
    year, month, day = _ymd(value) if isinstance(value, datetime.date) else value
    return f"{day:02d}.{month:02d}.{year:04d}"


def _months(count: int) -> str:
    return "1 Monat" if count == 1 else f"{count} Monate"


def _quoted(codes) -> str:
    return ", ".join(f"„{code}“" for code in codes)


def _labels(codes, labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(code, code) for code in codes)


# --- Calendar ---------------------------------------------------------------------------------
# The rules compute with (year, month, day) tuples, which may lie outside what ``datetime.date``
# can hold (a period starting on 1.12.9999 ends in the year 10000). Tuples compare like dates,
# so the rules are total over every date they can receive (issue 9, defect 7); the public
# helpers return dates and stop at the calendar's ends (date.min, date.max).
_Day = tuple[int, int, int]


def _ymd(day: datetime.date) -> _Day:
    return (day.year, day.month, day.day)


def _month_days(year: int, month: int) -> int:
    # calendar.monthrange works for every year, also 0 and 10000 (it maps them into range).
    return calendar.monthrange(year, month)[1]


def _shift_month(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def _as_date(day: _Day) -> datetime.date:
    if day > _ymd(datetime.date.max):
        return datetime.date.max
    if day < _ymd(datetime.date.min):
        return datetime.date.min
    return datetime.date(*day)


def _add_months(day: datetime.date, count: int) -> _Day:
    year, month = _shift_month(day.year, day.month, count)
    return (year, month, min(day.day, _month_days(year, month)))


def _period_end(start: datetime.date, count: int) -> _Day:
    if start.day == 1:
        # The day before the 1st ``count`` months later: the last day of the month before.
        year, month = _shift_month(start.year, start.month, count - 1)
        return (year, month, _month_days(year, month))
    year, month = _shift_month(start.year, start.month, count)
    return (year, month, min(start.day - 1, _month_days(year, month)))


def _latest_end(fiscal_year: int, months_after: int) -> _Day:
    year, month = _shift_month(fiscal_year, 12, months_after)
    return (year, month, _month_days(year, month))


def add_months(day: datetime.date, count: int) -> datetime.date:
    """The same day ``count`` months later; a missing day becomes the month's last (31.1. + 1 ->
    28./29.2.). Past 31.12.9999 the answer is 31.12.9999."""
    return _as_date(_add_months(day, count))


def period_end(start: datetime.date, count: int) -> datetime.date:
    """Last day of a period of ``count`` months that begins on ``start`` (BGB §§ 187 para. 2,
    188 para. 2 and 3): 01.03. + 12 months -> 28.02. of the next year; 15.01. -> 14.01.;
    31.01. + 1 month -> 28./29.02. Clamped to the calendar's ends like ``add_months``."""
    return _as_date(_period_end(start, count))


def latest_end(fiscal_year: int, months_after: int) -> datetime.date:
    """Last day of the month ``months_after`` months after the fiscal (= calendar) year."""
    return _as_date(_latest_end(fiscal_year, months_after))


# --- The rules, in the order of v1.yaml -------------------------------------------------------
@rule("applicant_kind", title="Antragsberechtigung", allowed_kinds=one_or_more_of(APPLICANT_KINDS))
def applicant_kind(facts: Facts, params: Mapping) -> Finding:
    allowed = params["allowed_kinds"]
    kind = APPLICANT_KINDS.get(facts.organisation_kind, facts.organisation_kind or "keine Angabe")
    ok = facts.organisation_kind in allowed
    verdict = "ist zugelassen" if ok else "ist nicht zugelassen"
    return _finding(
        "applicant_kind",
        _pass_if(ok),
        f"Die Art des Antragstellers („{kind}“) {verdict}. "
        f"Zugelassen sind: {_labels(allowed, APPLICANT_KINDS)}.",
    )


@rule("action_field", title="Handlungsfeld")
def action_field(facts: Facts, params: Mapping) -> Finding:
    expected = f"einem der {len(facts.valid_action_field_codes)} Handlungsfelder des Fonds"
    code = facts.action_field_code
    if not code:
        return _finding(
            "action_field",
            FAIL,
            f"Es ist kein Handlungsfeld gewählt. Der Antrag muss {expected} zugeordnet sein.",
        )
    if code not in facts.valid_action_field_codes:
        return _finding(
            "action_field",
            FAIL,
            f"„{code}“ ist kein Handlungsfeld des Fonds. Der Antrag muss {expected} "
            "zugeordnet sein.",
        )
    return _finding("action_field", PASS, f"Der Antrag ist {expected} zugeordnet („{code}“).")


@rule("target_groups", title="Zielgruppen")
def target_groups(facts: Facts, params: Mapping) -> Finding:
    count = len(facts.valid_target_group_codes)
    codes = facts.target_group_codes
    if not codes:
        return _finding(
            "target_groups",
            FAIL,
            f"Es ist keine Zielgruppe gewählt; nötig ist mindestens eine der {count} "
            "Zielgruppen des Fonds.",
        )
    unknown = [code for code in codes if code not in facts.valid_target_group_codes]
    if unknown:
        return _finding("target_groups", FAIL, f"Keine Zielgruppe des Fonds: {_quoted(unknown)}.")
    return _finding(
        "target_groups",
        PASS,
        f"Der Antrag nennt {len(codes)} der {count} Zielgruppen des Fonds: {_quoted(codes)}.",
    )


@rule("project_kind", title="Art des Projekts", allowed_kinds=one_or_more_of(PROJECT_KINDS))
def project_kind(facts: Facts, params: Mapping) -> Finding:
    allowed = params["allowed_kinds"]
    allowed_text = f"Zugelassen sind: {_labels(allowed, PROJECT_KINDS)}."
    if not facts.project_kind:
        return _finding("project_kind", FAIL, f"Es ist keine Projektart gewählt. {allowed_text}")
    kind = PROJECT_KINDS.get(facts.project_kind, facts.project_kind)
    ok = facts.project_kind in allowed
    verdict = "ist zugelassen" if ok else "ist nicht zugelassen"
    return _finding("project_kind", _pass_if(ok), f"„{kind}“ {verdict}. {allowed_text}")


@rule("not_otherwise_financeable", title="Anderweitig nicht finanzierbar")
def not_otherwise_financeable(facts: Facts, params: Mapping) -> Finding:
    if facts.declares_not_otherwise_financeable:
        return _finding(
            "not_otherwise_financeable",
            PASS,
            "Der Antragsteller erklärt, dass das Projekt anderweitig nicht finanzierbar ist.",
        )
    return _finding(
        "not_otherwise_financeable",
        FAIL,
        "Die Erklärung, dass das Projekt anderweitig nicht finanzierbar ist, fehlt.",
    )


@rule("new_approach", title="Neuer Ansatz und nachhaltige Integration")
def new_approach(facts: Facts, params: Mapping) -> Finding:
    text = facts.approach_text.strip()
    if not text:
        return _finding(
            "new_approach",
            FAIL,
            "Der Antrag begründet weder den neuen Ansatz noch den Beitrag zu einer "
            "nachhaltigen Integration.",
        )

    def yes_no(value):
        return "ja" if value else "nein"

    return _finding(
        "new_approach",
        REVIEW,
        "Vom Projektbüro zu beurteilen. Erklärungen des Antragstellers: neuer Ansatz "
        f"{yes_no(facts.declares_new_approach)}, Beitrag zu nachhaltiger Integration "
        f"{yes_no(facts.declares_sustainable)}. Begründung des Antragstellers: „{text}“",
    )


@rule("not_started", title="Kein vorzeitiger Maßnahmebeginn")
def not_started(facts: Facts, params: Mapping) -> Finding:
    start, submitted = facts.start_date, facts.submitted_on
    if start is None:
        return _finding("not_started", FAIL, "Der Projektbeginn fehlt.")
    if start < submitted:
        return _finding(
            "not_started",
            FAIL,
            f"Der Projektbeginn am {_day(start)} liegt vor der Antragstellung am "
            f"{_day(submitted)}; ein bereits begonnenes Projekt kann nicht gefördert werden.",
        )
    return _finding(
        "not_started",
        PASS,
        f"Der Projektbeginn am {_day(start)} liegt nicht vor der Antragstellung am "
        f"{_day(submitted)}.",
    )


@rule("amount_range", title="Förderbetrag", max_amount=money)
def amount_range(facts: Facts, params: Mapping) -> Finding:
    requested, maximum = facts.requested_amount, params["max_amount"]
    if requested <= 0:
        return _finding(
            "amount_range",
            FAIL,
            f"Beantragt sind {_eur(requested)}; der Betrag muss über {_eur(ZERO)} liegen "
            f"(Höchstbetrag {_eur(maximum)} je Antrag).",
        )
    if requested > maximum:
        return _finding(
            "amount_range",
            FAIL,
            f"Beantragt sind {_eur(requested)}; das übersteigt den Höchstbetrag von "
            f"{_eur(maximum)} je Antrag.",
        )
    return _finding(
        "amount_range",
        PASS,
        f"Beantragt sind {_eur(requested)}; zulässig sind mehr als {_eur(ZERO)} und höchstens "
        f"{_eur(maximum)} je Antrag.",
    )


@rule("cost_plan_consistent", title="Kosten- und Finanzierungsplan")
def cost_plan_consistent(facts: Facts, params: Mapping) -> Finding:
    if facts.cost_item_count == 0:
        return _finding(
            "cost_plan_consistent", FAIL, "Der Kostenplan enthält keine einzige Position."
        )
    gap = facts.total_costs - facts.own_funds - facts.third_party_funds
    sum_text = (
        f"Gesamtkosten {_eur(facts.total_costs)} − Eigenmittel {_eur(facts.own_funds)} − "
        f"Drittmittel {_eur(facts.third_party_funds)} = {_eur(gap)}"
    )
    if facts.requested_amount != gap:
        return _finding(
            "cost_plan_consistent",
            FAIL,
            f"Der beantragte Betrag von {_eur(facts.requested_amount)} stimmt nicht mit dem "
            f"Finanzierungsplan überein: {sum_text}.",
        )
    return _finding(
        "cost_plan_consistent",
        PASS,
        f"Der Kostenplan hat {facts.cost_item_count} Position(en); {sum_text} = beantragter "
        "Betrag.",
    )


@rule("own_contribution", title="Eigenanteil", min_own_share_percent=percent)
def own_contribution(facts: Facts, params: Mapping) -> Finding:
    minimum = params["min_own_share_percent"]
    required = f"verlangt sind mindestens {_pct(minimum)} der Gesamtkosten"
    total, own = facts.total_costs, facts.own_funds
    if total <= 0:
        return _finding(
            "own_contribution",
            FAIL,
            f"Ohne Gesamtkosten lässt sich der Eigenanteil nicht berechnen; {required}.",
        )
    # Compared without dividing, so no rounding decides a case at the limit.
    ok = own * 100 >= minimum * total
    return _finding(
        "own_contribution",
        _pass_if(ok),
        f"Eigenmittel von {_eur(own)} sind {_pct(own * 100 / total)} der Gesamtkosten von "
        f"{_eur(total)}; {required}.",
    )


@rule("duration", title="Projektdauer", max_duration_months=months)
def duration(facts: Facts, params: Mapping) -> Finding:
    limit = params["max_duration_months"]
    start, end = facts.start_date, facts.end_date
    if start is None or end is None:
        return _finding("duration", FAIL, "Projektbeginn oder Projektende fehlt.")
    if end < start:
        return _finding(
            "duration",
            FAIL,
            f"Das Projektende am {_day(end)} liegt vor dem Projektbeginn am {_day(start)}.",
        )
    last = _period_end(start, limit)
    period = f"Das Projekt dauert vom {_day(start)} bis {_day(end)}"
    if _ymd(end) <= last:
        return _finding(
            "duration",
            PASS,
            f"{period}; zulässig sind höchstens {_months(limit)}, also ein Ende spätestens am "
            f"{_day(last)}.",
        )
    return _finding(
        "duration",
        FAIL,
        f"{period} und damit länger als {_months(limit)}; es müsste spätestens am {_day(last)} "
        "enden.",
    )


@rule("end_date_limit", title="Spätestes Projektende", months_after_fiscal_year_end=months)
def end_date_limit(facts: Facts, params: Mapping) -> Finding:
    after = params["months_after_fiscal_year_end"]
    last = _latest_end(facts.fiscal_year, after)
    reason = f"Ende des Haushaltsjahres {facts.fiscal_year}"
    if after:
        reason += f" zuzüglich {_months(after)}"
    if facts.end_date is None:
        return _finding(
            "end_date_limit", FAIL, f"Das Projektende fehlt; spätestens zulässig: {_day(last)}."
        )
    ends = f"Das Projekt endet am {_day(facts.end_date)}"
    if _ymd(facts.end_date) <= last:
        return _finding(
            "end_date_limit",
            PASS,
            f"{ends}; zulässig ist ein Ende spätestens am {_day(last)} ({reason}).",
        )
    return _finding(
        "end_date_limit",
        FAIL,
        f"{ends} und damit nach dem spätesten zulässigen Ende am {_day(last)} ({reason}).",
    )


@rule("no_double_funding", title="Keine Doppelförderung")
def no_double_funding(facts: Facts, params: Mapping) -> Finding:
    if facts.open_duplicates:
        return _finding(
            "no_double_funding",
            FAIL,
            "Für dasselbe Projekt liegt bereits ein offener Antrag derselben Organisation vor: "
            f"{', '.join(facts.open_duplicates)}.",
        )
    return _finding(
        "no_double_funding",
        PASS,
        "Es gibt keinen weiteren offenen Antrag derselben Organisation für dasselbe Projekt.",
    )


# --- Running a guideline ----------------------------------------------------------------------
def evaluate(facts: Facts, guideline: "Guideline") -> list[Finding]:
    """All findings of ``guideline`` for ``facts``, in the order of the guideline file."""
    return [RULES[item.id].check(facts, item.parameters) for item in guideline.rules]


def blocking(findings) -> list[Finding]:
    """The findings that make an application ineligible as it stands."""
    return [finding for finding in findings if finding.outcome == FAIL]
