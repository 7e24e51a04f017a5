"""Audit entries as the API shows them: ``{at, actor, action, data}`` plus a readable label."""

from rest_framework import serializers

from fund_manager.core.audit import action_label
from fund_manager.core.models import AuditEntry

from .base import ModelSerializer


class AuditEntrySerializer(ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    label = serializers.SerializerMethodField()
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["at", "actor", "action", "label", "data"]
        read_only_fields = fields

    def get_label(self, entry) -> str:
        # Translated now, in the caller's language; the stored code stays as it was.
        return str(action_label(entry.action))
