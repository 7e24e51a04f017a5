"""The process side shared by every flow: open tasks, completing a task as the person who did
the work, cancelling a process. Use cases (``workflows.services``, ``workflows.rounds``,
``workflows.grants``) call these inside their transaction; nothing below ``workflows`` does.
"""

from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.core.errors import ConcurrentChange, InvalidTransition

OPEN_TASK = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class TaskError(InvalidTransition):
    """The task is not in a state that allows this (already taken, already done)."""

    default_code = "task_not_available"


def cancel_process(process):
    """Cancel ``process`` with viewflow's ``Flow.cancel`` (each open task's activation cancels
    it, then the process): nobody has to act any more. None, or a process that has ended
    already: nothing to do."""
    if process is None or process.status != PROCESS.NEW:
        return
    try:
        process.flow_class.instance.cancel(process)
    except FlowLockFailed as exc:
        raise ConcurrentChange() from exc


def complete_task_as(task, by):
    """Complete ``task`` (None: nothing to do) as done by ``by``, whoever it was assigned to:
    the task is taken over by that person first, so the inbox shows who did the work."""
    if task is None:
        return None
    try:
        if task.owner_id != by.pk:
            with task.activation() as activation:
                if activation.task.status == STATUS.NEW:
                    activation.assign(by)
                else:
                    activation.reassign(by)
            task.refresh_from_db()
        with task.activation() as activation:
            activation.start(None)
            activation.execute()
    except FlowLockFailed as exc:
        raise ConcurrentChange() from exc
    return task
