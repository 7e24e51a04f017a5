"""The task inbox: what is waiting for whom, in a constant number of queries."""

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from viewflow.workflow.status import STATUS

from fund_manager.applications.models import Revocation
from fund_manager.applications.revocations import time_limit_of
from fund_manager.core.roles import Role, is_staff_reader, user_roles

from .flows import (
    ApplicationFlow,
    ExtensionFlow,
    PaymentFlow,
    RefundFlow,
    ReportFlow,
    RevocationFlow,
    RoundFlow,
)

ROUND_NODES = [RoundFlow.prepare, RoundFlow.conduct, RoundFlow.sign]
# The tasks of the money's flows (issue 11): their process's ``artifact`` is the record the
# task is about (a payment request, a usage report, an extension, a refund claim). The record
# answers ``get_absolute_url()`` (where the task is done) and ``inbox_application``.
ARTIFACT_NODES = [
    PaymentFlow.certify,
    PaymentFlow.order,
    ReportFlow.review,
    ExtensionFlow.decide,
    RefundFlow.collect,
]
HUMAN_NODES = [ApplicationFlow.check, *ROUND_NODES, RevocationFlow.decide, *ARTIFACT_NODES]
# The permissions that put a task into a group's queue (``.Permission`` of the nodes).
QUEUE_PERMISSIONS = (
    "applications.review_application",
    "rounds.chair_session",
    "payments.certify_payment",
    "payments.order_payment",
    "settlement.review_report",
    "settlement.record_refund",
)


def _tasks():
    return (
        ApplicationFlow.task_class.objects.filter(flow_task__in=HUMAN_NODES)
        .select_related(
            "owner",
            "process__applicationprocess__application__organisation",
            "process__applicationprocess__application__action_field",
            "process__roundprocess__funding_round__fiscal_year__fund",
        )
        .order_by("created", "id")
    )


def my_tasks(user):
    """Tasks assigned to ``user`` and not yet done."""
    return _tasks().filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])


def queue(user):
    """Unassigned tasks of the groups ``user`` belongs to (by the task's permission)."""
    permissions = [perm for perm in QUEUE_PERMISSIONS if user.has_perm(perm)]
    if not permissions:
        return _tasks().none()
    return _tasks().filter(status=STATUS.NEW, owner_permission__in=permissions)


def overdue_before():
    return timezone.now() - datetime.timedelta(days=settings.FM_TASK_OVERDUE_DAYS)


def _subprocess(process, name):
    try:
        return getattr(process, name)
    except ObjectDoesNotExist:
        return None


def application_of(task):
    """The application behind ``task`` (None for a round's or a revocation's task): the one way
    from a task to its application. No query when the task was loaded with
    ``select_related("process__applicationprocess__application")``."""
    process = _subprocess(task.process, "applicationprocess")
    return process.application if process is not None else None


def annotate(tasks):
    """Attach the application or the funding round, and an overdue flag, to each task (no
    extra queries). Preparing and chairing a session are overdue once its session day has
    passed; every other task after ``FM_TASK_OVERDUE_DAYS``."""
    limit = overdue_before()
    today = timezone.localdate()
    tasks = list(tasks)
    revocations = _revocations_of(tasks, today)
    artifacts = _artifacts_of(tasks)
    rows = []
    for task in tasks:
        round_process = _subprocess(task.process, "roundprocess")
        task.application = application_of(task)
        task.funding_round = round_process.funding_round if round_process else None
        task.is_signing = task.flow_task == RoundFlow.sign
        task.revocation = revocations.get(task.process.artifact_object_id)
        task.artifact = None
        if task.flow_task in ARTIFACT_NODES:
            task.artifact = artifacts.get(
                (task.process.artifact_content_type_id, task.process.artifact_object_id)
            )
            task.application = getattr(task.artifact, "inbox_application", None)
        if task.revocation is not None:
            # Urgent once fewer than four weeks of the one-year period remain.
            task.overdue = task.revocation.limit.warning or task.revocation.limit.expired
        elif task.funding_round is not None and not task.is_signing:
            task.overdue = task.funding_round.session_date < today
        else:
            task.overdue = task.created < limit
        rows.append(task)
    return rows


def _artifacts_of(tasks):
    """The records behind the money's tasks, one query per kind of record."""
    wanted = {}
    for task in tasks:
        if task.flow_task in ARTIFACT_NODES:
            process = task.process
            wanted.setdefault(process.artifact_content_type_id, set()).add(
                process.artifact_object_id
            )
    found = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        related = getattr(model, "INBOX_RELATED", ())
        for record in model.objects.filter(pk__in=ids).select_related(*related):
            found[(content_type_id, record.pk)] = record
    return found


def _revocations_of(tasks, today):
    """The proceedings behind "Widerruf entscheiden" tasks, in one query."""
    ids = [t.process.artifact_object_id for t in tasks if t.flow_task == RevocationFlow.decide]
    if not ids:
        return {}
    revocations = Revocation.objects.filter(pk__in=ids).select_related("application__organisation")
    for revocation in revocations:
        revocation.limit = time_limit_of(revocation, today)
    return {revocation.pk: revocation for revocation in revocations}


def has_inbox(user):
    """Every staff role has an inbox (later issues give steering, chair and finance tasks)."""
    return is_staff_reader(user)


def works_check_tasks(user):
    return Role.PROJECT_OFFICE in user_roles(user)
