"""The funding guideline's rules as pure functions: facts in, findings out.

A guideline version (``policies/guidelines/v<N>.yaml``) lists which rules apply, in which order,
with which parameters. Each rule here is one function ``(facts, params) -> Finding``; it reads
plain values only (no model, no query, no clock), so the same facts under the same version give
the same findings today and in ten years. The caller collects the facts from the application
and pins the guideline version on it; ``evaluate`` runs the version's rules in the file's order.

Messages are plain German strings on purpose, the one exception to "translate at display
time" (docs/architecture.md, audit entries): findings are stored in the application's
history as evidence of what was checked, with which values, under which version, so they
must read exactly as they were rendered on the day of the check, whatever the catalogue says later.

Beside this module: ``findings`` (the facts, the finding, the registry, the German wording of
values), ``guideline_values`` (the parameter types of a version file) and ``periods`` (months
and periods as the BGB counts them). Importing this module registers every rule in ``RULES``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from fund_manager.core.money import ZERO
from fund_manager.core.text import note_errors

from .findings import (
    APPLICANT_KINDS,
    FAIL,
    PASS,
    PROJECT_KINDS,
    REVIEW,
    RULES,
    Facts,
    Finding,
    RuleSpec,
    date_de,
    eur,
    labelled,
    months_de,
    pct,
    quoted,
    rule,
)
from .guideline_values import money, months, one_or_more_of, percent
from .periods import latest_end_day, period_end_day, ymd

if TYPE_CHECKING:
    from policies.guidelines import Guideline


def _finding(rule_id: str, outcome: str, text: str) -> Finding:
    return Finding(rule_id, outcome, f"{RULES[rule_id].title}: {text}")


def _pass_if(condition: bool) -> str:
    return PASS if condition else FAIL


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
        f"Zugelassen sind: {labelled(allowed, APPLICANT_KINDS)}.",
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
    name = facts.names.get(code, code)
    if code not in facts.valid_action_field_codes:
        return _finding(
            "action_field",
            FAIL,
            f"„{name}“ ist kein Handlungsfeld des Fonds. Der Antrag muss {expected} "
            "zugeordnet sein.",
        )
    return _finding("action_field", PASS, f"Der Antrag ist {expected} zugeordnet („{name}“).")


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
        return _finding(
            "target_groups", FAIL, f"Keine Zielgruppe des Fonds: {quoted(unknown, facts.names)}."
        )
    return _finding(
        "target_groups",
        PASS,
        f"Der Antrag nennt {len(codes)} der {count} Zielgruppen des Fonds: "
        f"{quoted(codes, facts.names)}.",
    )


@rule("project_kind", title="Art des Projekts", allowed_kinds=one_or_more_of(PROJECT_KINDS))
def project_kind(facts: Facts, params: Mapping) -> Finding:
    allowed = params["allowed_kinds"]
    allowed_text = f"Zugelassen sind: {labelled(allowed, PROJECT_KINDS)}."
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


# The one rule the office judges itself (v1.yaml: result always "review"); its text is the
# council report's wording, section 5 (seed/ratsvorlage-2017-0429-sachstand-integration.txt).
@rule(
    "new_approach",
    title="Neuer Ansatz und nachhaltige Integration",
    judgement=True,
    text=(
        "Grundsätzlich wird erwartet, dass mit der Förderung ein neuer Ansatz zur "
        "Integrationsförderung und vor allem auch ein Beitrag zu einer nachhaltigen "
        "Integration geleistet werden kann."
    ),
)
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
            f"Der Projektbeginn am {date_de(start)} liegt vor der Antragstellung am "
            f"{date_de(submitted)}; ein bereits begonnenes Projekt kann nicht gefördert werden.",
        )
    return _finding(
        "not_started",
        PASS,
        f"Der Projektbeginn am {date_de(start)} liegt nicht vor der Antragstellung am "
        f"{date_de(submitted)}.",
    )


@rule("amount_range", title="Förderbetrag", max_amount=money)
def amount_range(facts: Facts, params: Mapping) -> Finding:
    requested, maximum = facts.requested_amount, params["max_amount"]
    if requested <= 0:
        return _finding(
            "amount_range",
            FAIL,
            f"Beantragt sind {eur(requested)}; der Betrag muss über {eur(ZERO)} liegen "
            f"(Höchstbetrag {eur(maximum)} je Antrag).",
        )
    if requested > maximum:
        return _finding(
            "amount_range",
            FAIL,
            f"Beantragt sind {eur(requested)}; das übersteigt den Höchstbetrag von "
            f"{eur(maximum)} je Antrag.",
        )
    return _finding(
        "amount_range",
        PASS,
        f"Beantragt sind {eur(requested)}; zulässig sind mehr als {eur(ZERO)} und höchstens "
        f"{eur(maximum)} je Antrag.",
    )


@rule("cost_plan_consistent", title="Kosten- und Finanzierungsplan")
def cost_plan_consistent(facts: Facts, params: Mapping) -> Finding:
    if facts.cost_item_count == 0:
        return _finding(
            "cost_plan_consistent", FAIL, "Der Kostenplan enthält keine einzige Position."
        )
    gap = facts.total_costs - facts.own_funds - facts.third_party_funds
    sum_text = (
        f"Gesamtkosten {eur(facts.total_costs)} − Eigenmittel {eur(facts.own_funds)} − "
        f"Drittmittel {eur(facts.third_party_funds)} = {eur(gap)}"
    )
    if facts.requested_amount != gap:
        return _finding(
            "cost_plan_consistent",
            FAIL,
            f"Der beantragte Betrag von {eur(facts.requested_amount)} stimmt nicht mit dem "
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
    required = f"verlangt sind mindestens {pct(minimum)} der Gesamtkosten"
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
        f"Eigenmittel von {eur(own)} sind {pct(own * 100 / total)} der Gesamtkosten von "
        f"{eur(total)}; {required}.",
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
            f"Das Projektende am {date_de(end)} liegt vor dem Projektbeginn am {date_de(start)}.",
        )
    last = period_end_day(start, limit)
    period = f"Das Projekt dauert vom {date_de(start)} bis {date_de(end)}"
    if ymd(end) <= last:
        return _finding(
            "duration",
            PASS,
            f"{period}; zulässig sind höchstens {months_de(limit)}, also ein Ende spätestens am "
            f"{date_de(last)}.",
        )
    return _finding(
        "duration",
        FAIL,
        f"{period} und damit länger als {months_de(limit)}; es müsste spätestens am "
        f"{date_de(last)} enden.",
    )


@rule("end_date_limit", title="Spätestes Projektende", months_after_fiscal_year_end=months)
def end_date_limit(facts: Facts, params: Mapping) -> Finding:
    after = params["months_after_fiscal_year_end"]
    last = latest_end_day(facts.fiscal_year, after)
    reason = f"Ende des Haushaltsjahres {facts.fiscal_year}"
    if after:
        reason += f" zuzüglich {months_de(after)}"
    if facts.end_date is None:
        return _finding(
            "end_date_limit",
            FAIL,
            f"Das Projektende fehlt; spätestens zulässig: {date_de(last)}.",
        )
    ends = f"Das Projekt endet am {date_de(facts.end_date)}"
    if ymd(facts.end_date) <= last:
        return _finding(
            "end_date_limit",
            PASS,
            f"{ends}; zulässig ist ein Ende spätestens am {date_de(last)} ({reason}).",
        )
    return _finding(
        "end_date_limit",
        FAIL,
        f"{ends} und damit nach dem spätesten zulässigen Ende am {date_de(last)} ({reason}).",
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


# --- Human judgement --------------------------------------------------------------------------
# Rules registered with ``judgement=True`` can end in REVIEW: the project office assesses each
# of them (met / not met, a reason when not met) when it decides the check. Deciding
# "eligible" needs every one of them met; "ineligible" needs a reason in the rules: a
# judgement not met, or a rule the latest check found not met.
MET, NOT_MET = "met", "not_met"


@dataclass(frozen=True)
class Assessment:
    """The office's judgement of one rule: ``met`` None means not assessed."""

    rule: str
    met: bool | None
    reason: str = ""


def judgement_rules(guideline: "Guideline") -> list[RuleSpec]:
    """The rules of ``guideline`` a person has to assess, in the order of the guideline file."""
    return [RULES[item.id] for item in guideline.rules if RULES[item.id].judgement]


def assessment_field(rule_id: str) -> str:
    return f"assess_{rule_id}"


def reason_field(rule_id: str) -> str:
    return f"reason_{rule_id}"


NOT_ASSESSED_MET = _("Assess this requirement as met before you find the application eligible.")
REASON_NOT_MET = _("Please give the reason why this requirement is not met.")
NOTHING_NOT_MET = _(
    "An ineligible application needs a reason in the guideline: assess at least one "
    "requirement as not met."
)


def assessment_errors(
    outcome: str,
    rule_ids: Sequence[str],
    assessments: Mapping[str, Assessment],
    *,
    failed_rules: Sequence[str] = (),
) -> dict[str | None, list]:
    """The messages (by form field; None: the whole form) that refuse the decision
    ``outcome`` of a check with these ``assessments`` of the judgement rules ``rule_ids``.
    ``failed_rules``: the rules the latest check found not met (a reason for "ineligible")."""
    errors: dict[str | None, list] = {}
    for rule_id in rule_ids:
        given = assessments.get(rule_id) or Assessment(rule_id, None)
        if outcome == "eligible" and given.met is not True:
            errors[assessment_field(rule_id)] = [NOT_ASSESSED_MET]
        if given.met is False:
            messages = note_errors(given.reason, required=REASON_NOT_MET)
            if messages:
                errors[reason_field(rule_id)] = messages
        elif given.reason:
            messages = note_errors(given.reason)
            if messages:
                errors[reason_field(rule_id)] = messages
    not_met = [r for r in rule_ids if (assessments.get(r) or Assessment(r, None)).met is False]
    if outcome == "ineligible" and rule_ids and not failed_rules and not not_met:
        errors[None] = [NOTHING_NOT_MET]
    return errors
