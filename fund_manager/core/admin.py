from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Append-only: readable, never changed or deleted."""

    list_display = ["at", "actor", "action", "content_type", "object_id"]
    list_filter = ["action", "content_type"]
    search_fields = ["action", "object_id", "actor__username"]
    list_select_related = ["actor", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
