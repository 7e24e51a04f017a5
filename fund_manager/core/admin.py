"""Admin: for looking things up. Whatever a service owns (state, money, sequences, seats, bank
details, members, the process) is read-only here; changes go through the pages and their
services, so every change is checked and audited (issue 9, defect 3)."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from viewflow.workflow import admin as viewflow_admin
from viewflow.workflow.models import Process, Task

from .models import AuditEntry


class ReadOnlyMixin:
    """View only: no add, change, delete or bulk action (ModelAdmin and inlines alike)."""

    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + [
            field.name for field in self.model._meta.many_to_many
        ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Append-only: readable, never changed or deleted."""

    list_display = ["at", "actor", "action", "content_type", "object_id"]
    list_filter = ["action", "content_type"]
    search_fields = ["action", "object_id", "actor__username"]
    list_select_related = ["actor", "content_type"]


# The viewflow processes and tasks are moved only by the flows in workflows/ (their nodes call
# the services); the admin of viewflow would let a superuser delete or edit them.
admin.site.unregister(Process)
admin.site.unregister(Task)


class _ReadOnlyTaskInline(ReadOnlyMixin, viewflow_admin.TaskInline):
    pass


@admin.register(Process)
class ProcessAdmin(ReadOnlyMixin, viewflow_admin.ProcessAdmin):
    inlines = [_ReadOnlyTaskInline]


@admin.register(Task)
class TaskAdmin(ReadOnlyMixin, viewflow_admin.TaskAdmin):
    pass


# A user account is deactivated, never deleted: deleting it would silently drop its
# memberships (organisations.services audits every change of those) and its seats.
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    # Django's two-box filter (SelectFilter2.js) puts aria-label on a <span> (axe
    # aria-prohibited-attr, serious): a plain multiple select instead, here and for roles.
    filter_horizontal = ()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(auth_admin.GroupAdmin):
    filter_horizontal = ()  # see UserAdmin
