"""The task inbox: what is waiting for whom, in a constant number of queries."""

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from viewflow.workflow.status import STATUS

from fund_manager.core.roles import Role, is_staff_reader, user_roles

from .flows import ApplicationFlow

HUMAN_NODES = [ApplicationFlow.check]


def _tasks():
    return (
        ApplicationFlow.task_class.objects.filter(flow_task__in=HUMAN_NODES)
        .select_related(
            "owner",
            "process__applicationprocess__application__organisation",
            "process__applicationprocess__application__action_field",
        )
        .order_by("created", "id")
    )


def my_tasks(user):
    """Tasks assigned to ``user`` and not yet done."""
    return _tasks().filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])


def queue(user):
    """Unassigned tasks of the groups ``user`` belongs to (by the task's permission)."""
    permissions = [perm for perm in {"applications.review_application"} if user.has_perm(perm)]
    if not permissions:
        return _tasks().none()
    return _tasks().filter(status=STATUS.NEW, owner_permission__in=permissions)


def overdue_before():
    return timezone.now() - datetime.timedelta(days=settings.FM_TASK_OVERDUE_DAYS)


def annotate(tasks):
    """Attach the application and an overdue flag to each task (no extra queries)."""
    limit = overdue_before()
    rows = []
    for task in tasks:
        task.application = task.process.applicationprocess.application
        task.overdue = task.created < limit
        rows.append(task)
    return rows


def has_inbox(user):
    """Every staff role has an inbox (later issues give steering, chair and finance tasks)."""
    return is_staff_reader(user)


def works_check_tasks(user):
    return Role.PROJECT_OFFICE in user_roles(user)


def waiting_for_applicant(user):
    """The provider's to-do list: applications sent back for changes."""
    from fund_manager.applications.models import State
    from fund_manager.applications.selectors import application_list
    from policies.access import member_organisation_ids

    return (
        application_list(user)
        .filter(
            Q(state=State.CHANGES_REQUESTED) & Q(organisation_id__in=member_organisation_ids(user))
        )
        .order_by("updated_at")
    )
