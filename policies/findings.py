"""What the guideline's rules share: the facts they read, the finding each returns, the
registry of rules (filled by ``policies.rules``) and the fixed German wording of values in a
finding's text (findings are evidence; see the docstring of ``policies.rules``).
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from fund_manager.core.money import format_amount

from .periods import Day, ymd

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
    organisation for the same project. ``names`` maps the codes of action fields and target
    groups to their German names, so a finding names them as a person reads them (a code
    without a name is shown as it is).
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
    names: Mapping[str, str] = field(default_factory=dict)


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


# --- Registry ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleSpec:
    """A registered rule. ``judgement``: the rule can return REVIEW, so a person of the project
    office assesses it (met / not met, with a reason) before deciding the check; ``text`` is
    the funding guideline's own wording of the requirement, shown beside that assessment."""

    id: str
    title: str
    check: Callable[[Facts, Mapping], Finding]
    parameters: Mapping[str, Callable[[object], object]]
    judgement: bool = False
    text: str = ""


RULES: dict[str, RuleSpec] = {}


def rule(rule_id: str, *, title: str, judgement: bool = False, text: str = "", **parameters):
    """Register a rule under its stable id, with its German title and parameter types; a rule
    that needs a human judgement says so (``judgement=True``) and gives the guideline's
    wording (``text``)."""
    if judgement and not text:
        raise ValueError(f"Rule {rule_id!r} needs a judgement: give the guideline's text.")

    def register(check):
        RULES[rule_id] = RuleSpec(rule_id, title, check, parameters, judgement, text)
        return check

    return register


# --- German wording of values in findings (fixed: see policies.rules) -----------------------
def eur(value) -> str:
    return format_amount(value, language="de")


def pct(value: Decimal) -> str:
    """12.5 -> '12,5 %', 10 -> '10 %'; shares are cut, never rounded up past a limit."""
    value = value.quantize(Decimal("0.01"), rounding=ROUND_DOWN).normalize()
    return f"{value:f}".replace(".", ",") + "\u00a0%"


def date_de(value: "datetime.date | Day") -> str:
    """31.12.2031; four-digit years always (strftime writes year 1 as "1"), and a day past the
    calendar (a period that would end in the year 10000) is written as it is."""
    year, month, day = ymd(value) if isinstance(value, datetime.date) else value
    return f"{day:02d}.{month:02d}.{year:04d}"


def months_de(count: int) -> str:
    return "1 Monat" if count == 1 else f"{count} Monate"


def quoted(codes, names: Mapping[str, str] | None = None) -> str:
    """Codes in German quotation marks, each by its German name where ``names`` has one."""
    names = names or {}
    return ", ".join(f"„{names.get(code, code)}“" for code in codes)


def labelled(codes, labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(code, code) for code in codes)
