"""Shared helpers for the ApplicationFlow tests: tasks of an application, decisions, snapshots."""

from fund_manager.applications.models import Application, GuidelineCheck
from fund_manager.core.models import AuditEntry
from fund_manager.organisations.models import Membership
from policies import rules
from tests.factories import provider_user, user_with_role
from workflows import services as process
from workflows.flows import ApplicationFlow
from workflows.models import ApplicationProcess

Task = ApplicationFlow.task_class
REVIEW_PERMISSION = "applications.review_application"


def tasks(application, node=None):
    """Every task of the application's process, oldest first (optionally of one node)."""
    queryset = Task.objects.filter(
        process__in=ApplicationProcess.objects.filter(application=application).values("pk")
    ).order_by("created", "id")
    if node is not None:
        queryset = queryset.filter(flow_task=node)
    return list(queryset)


def open_check(application):
    return process.open_task(application)


def claim(application, by):
    return process.claim_check(task=process.open_task(application), by=by)


# The office's judgement of ``new_approach`` (the rule that needs a person) that goes with a
# decision: "eligible" needs it met, "ineligible" a requirement not met (with its reason).
MET_REASON = "Neuer Ansatz: Sprachpatenschaften im Quartier."
NOT_MET_REASON = "Kein neuer Ansatz erkennbar."
DEFAULT = object()


def assessments_for(outcome):
    """The assessments a test passes with ``outcome`` unless it tests them itself."""
    if outcome == "eligible":
        return {"new_approach": rules.Assessment("new_approach", True, MET_REASON)}
    if outcome == "ineligible":
        return {"new_approach": rules.Assessment("new_approach", False, NOT_MET_REASON)}
    return None


def api_assessments_for(outcome):
    """The same as the API's ``assessments`` list."""
    given = assessments_for(outcome) or {}
    return [{"rule": a.rule, "met": a.met, "reason": a.reason} for a in given.values()]


def decide(application, by, outcome, note="", assessments=DEFAULT):
    """Take the open check task (if nobody has it yet) and decide it (with the assessment
    that the decision needs, unless ``assessments`` is given)."""
    if assessments is DEFAULT:
        assessments = assessments_for(outcome)
    task = process.open_task(application)
    if task.owner_id is None:
        task = process.claim_check(task=task, by=by)
    return process.complete_check(
        task=task, by=by, outcome=outcome, note=note, assessments=assessments
    )


def actions(application):
    return list(
        AuditEntry.objects.for_object(application)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def snapshot(application):
    """Everything a refused action must leave as it was."""
    row = Application.objects.get(pk=application.pk)
    process_row = ApplicationProcess.objects.filter(application=application).first()
    return {
        "state": row.state,
        "reference": row.reference,
        "guideline_version": row.guideline_version,
        "tasks": [
            (task.pk, task.flow_task.name, task.status, task.owner_id)
            for task in tasks(application)
        ],
        "process": process_row.status if process_row else None,
        "audit": actions(application),
        "checks": list(
            GuidelineCheck.objects.filter(application=application).values_list("pk", flat=True)
        ),
    }


def office_member_of(organisation):
    """A project-office user who is also a member of ``organisation`` (conflict of interest)."""
    user = user_with_role("project_office")
    Membership.objects.get_or_create(organisation=organisation, user=user)
    return user


def outsider(kind, organisation):
    """A user who must not act on the check task of an application of ``organisation``."""
    if kind == "provider":
        return provider_user(organisation)
    if kind == "office_member_of_applicant":
        return office_member_of(organisation)
    return user_with_role(kind)


OUTSIDERS = [
    "provider",
    "finance",
    "auditor",
    "steering_member",
    "chair",
    "office_member_of_applicant",
]
