"""The funding guidelines applied to an application: facts from the database, findings from
the pure rules in ``policies/`` (``policies.rules``, ``policies.guidelines``).

``precheck`` shows the findings while drafting (nothing stored); ``record_check`` stores them
as evidence at submission and when the office re-evaluates. The version in force on the day of
the first submission is pinned on the application.
"""

import dataclasses
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import InvalidInput
from policies import guidelines, rules

from .models import Application, GuidelineCheck, State

# States in which an application still claims or holds money for its project.
OPEN_STATES = (
    State.SUBMITTED,
    State.IN_REVIEW,
    State.CHANGES_REQUESTED,
    State.ELIGIBLE,
    State.SCHEDULED,
    State.DEFERRED,
    State.APPROVED,
    State.IN_PAYMENT,
    State.REPORT_DUE,
    State.REPORT_SUBMITTED,
    State.REFUND_DUE,
)


def _same_project_key(title):
    return " ".join(title.casefold().split())


def open_duplicates(application) -> tuple[str, ...]:
    """Other open applications of the same organisation for the same project (same title)."""
    key = _same_project_key(application.title)
    others = (
        Application.objects.filter(
            organisation_id=application.organisation_id, state__in=OPEN_STATES
        )
        .exclude(pk=application.pk)
        .values_list("title", "reference")
    )
    return tuple(sorted(ref or "–" for title, ref in others if _same_project_key(title) == key))


def _names(application) -> dict[str, str]:
    """The German names of the fund's action fields and target groups and of the application's
    own choices, by code: a finding names them as a person reads them, never by their code."""
    fund = application.fund
    names = dict(fund.action_fields.values_list("code", "name"))
    names.update(fund.target_groups.values_list("code", "name"))
    if application.action_field_id:
        names[application.action_field.code] = application.action_field.name
    names.update(application.target_groups.values_list("code", "name"))
    return names


def facts_for(application, *, on=None) -> rules.Facts:
    fund = application.fund
    return rules.Facts(
        organisation_kind=application.organisation.kind,
        action_field_code=application.action_field.code if application.action_field_id else None,
        valid_action_field_codes=frozenset(
            fund.action_fields.filter(active=True).values_list("code", flat=True)
        ),
        target_group_codes=tuple(sorted(application.target_groups.values_list("code", flat=True))),
        valid_target_group_codes=frozenset(
            fund.target_groups.filter(active=True).values_list("code", flat=True)
        ),
        project_kind=application.project_kind,
        declares_not_otherwise_financeable=application.declares_not_otherwise_financeable,
        declares_new_approach=application.declares_new_approach,
        declares_sustainable=application.declares_sustainable,
        approach_text=application.approach,
        start_date=application.start_date,
        end_date=application.end_date,
        submitted_on=on or timezone.localdate(),
        fiscal_year=application.fiscal_year.year,
        total_costs=application.total_costs,
        own_funds=application.own_funds,
        third_party_funds=application.third_party_funds,
        requested_amount=application.requested_amount,
        cost_item_count=application.cost_items.count(),
        open_duplicates=open_duplicates(application),
        names=_names(application),
    )


def guideline_for(application, *, on=None):
    """The pinned version, or the one in force today for a first submission."""
    if application.guideline_version:
        return guidelines.load(application.guideline_version)
    try:
        return guidelines.in_force(application.fund.guideline_series, on or timezone.localdate())
    except guidelines.NoGuidelineInForce as exc:
        raise InvalidInput(
            _("No funding guideline of this fund is in force; please ask the project office."),
            code="no_guideline",
            fields={"guidelines": [_("No funding guideline is in force for this fund.")]},
        ) from exc


def precheck(application, *, on=None):
    """(guideline, findings) as they would be at submission today; nothing is stored."""
    try:
        guideline = guideline_for(application, on=on)
    except InvalidInput:
        return None, []
    return guideline, rules.evaluate(facts_for(application, on=on), guideline)


def _jsonable(facts):
    def plain(value):
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        if isinstance(value, frozenset | tuple):
            return sorted(str(v) for v in value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    return {key: plain(value) for key, value in dataclasses.asdict(facts).items()}


def record_check(application, *, by, trigger, guideline=None, on=None) -> GuidelineCheck:
    """Evaluate and store the findings (call inside the service's transaction)."""
    guideline = guideline or guideline_for(application, on=on)
    facts = facts_for(application, on=on)
    findings = rules.evaluate(facts, guideline)
    return GuidelineCheck.objects.create(
        application=application,
        guideline_version=guideline.version,
        guideline_digest=guideline.digest,
        trigger=trigger,
        checked_by=by,
        facts=_jsonable(facts),
        findings=[finding.to_dict() for finding in findings],
    )


def latest_check(application):
    return application.guideline_checks.order_by("-checked_at", "-id").first()
