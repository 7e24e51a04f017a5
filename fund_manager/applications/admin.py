"""Admin: for looking things up. State and amounts are read-only; changes go through the portal
and its services (so every change is checked and audited)."""

from django.contrib import admin

from .models import Application, Attachment, CostItem


class CostItemInline(admin.TabularInline):
    model = CostItem
    extra = 0
    can_delete = False
    readonly_fields = ["position", "category", "description", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "organisation", "state", "requested_amount"]
    list_filter = ["state", "fiscal_year", "action_field"]
    search_fields = ["reference", "title", "organisation__name"]
    list_select_related = ["organisation"]
    inlines = [CostItemInline, AttachmentInline]
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + ["target_groups"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Saving an unchanged form would still write the row (and its timestamps).
        return False

    def has_delete_permission(self, request, obj=None):
        return False
