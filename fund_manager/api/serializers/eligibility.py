"""Eligibility (guideline findings) and the project office's review decision.

Output only for the findings: they are built by ``applications.eligibility`` (pre-check of a
draft) or read from the stored ``GuidelineCheck`` evidence; the API never evaluates or stores
a check itself. ``ReviewSerializer`` parses the decision and the office's assessments of
the rules that need a human judgement for ``workflows.services``.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fund_manager.applications.models import GuidelineCheck
from fund_manager.applications.services import NOTE_MAX_LENGTH
from policies.findings import OUTCOMES
from policies.notes import check_note_errors
from policies.rules import Assessment
from workflows.services import DECISIONS

from .base import Serializer, multi_line_text

PRECHECK = "precheck"
TRIGGERS = [*GuidelineCheck.Trigger.values, PRECHECK]


# Enums named by their field class: "outcome" has other values in the review request.
@extend_schema_field({"type": "string", "enum": list(OUTCOMES)})
class FindingOutcomeField(serializers.CharField):
    """pass, fail or review (policies.findings)."""


@extend_schema_field({"type": "string", "enum": TRIGGERS})
class TriggerField(serializers.CharField):
    """What caused the check; ``precheck`` for a draft's findings (nothing stored)."""


class FindingSerializer(Serializer):
    rule = serializers.CharField(read_only=True)
    outcome = FindingOutcomeField(read_only=True)
    message = serializers.CharField(read_only=True)


class GuidelineCheckSummarySerializer(Serializer):
    """One stored check in the history: which version, when, why, how many rules failed."""

    id = serializers.IntegerField(read_only=True)
    guideline = serializers.CharField(source="guideline_version", read_only=True)
    checked_at = serializers.DateTimeField(read_only=True)
    trigger = TriggerField(read_only=True)
    failed = serializers.SerializerMethodField()

    def get_failed(self, check) -> int:
        return len(check.failed)


class RecordedAssessmentSerializer(Serializer):
    """A stored assessment (``applications.RuleAssessment``): evidence of the decision."""

    rule = serializers.CharField(read_only=True)
    met = serializers.BooleanField(read_only=True)
    reason = serializers.CharField(read_only=True)
    decision = serializers.CharField(read_only=True)
    guideline_check = serializers.IntegerField(source="guideline_check_id", read_only=True)
    assessed_at = serializers.DateTimeField(read_only=True)


class EligibilitySerializer(Serializer):
    """The findings as docs/api.md lists them (``guideline``, ``findings``), plus when and why they
    were made, the history of every stored check, newest first, and the project office's
    recorded assessments of the rules that need a human judgement, newest first."""

    guideline = serializers.CharField(read_only=True, allow_null=True)
    checked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    trigger = TriggerField(read_only=True, allow_null=True)
    findings = FindingSerializer(many=True, read_only=True)
    checks = GuidelineCheckSummarySerializer(many=True, read_only=True)
    assessments = RecordedAssessmentSerializer(many=True, read_only=True)

    @classmethod
    def for_precheck(cls, guideline, findings):
        """A draft: the findings as they would be at submission today (nothing stored)."""
        return cls(
            {
                "guideline": guideline.version if guideline is not None else None,
                "checked_at": None,
                "trigger": PRECHECK,
                "findings": [finding.to_dict() for finding in findings],
                "checks": [],
                "assessments": [],
            }
        )

    @classmethod
    def for_checks(cls, application, checks):
        """A submitted application: the latest stored check (``checks`` newest first)."""
        latest = checks[0] if checks else None
        return cls(
            {
                "guideline": latest.guideline_version if latest else application.guideline_version,
                "checked_at": latest.checked_at if latest else None,
                "trigger": latest.trigger if latest else None,
                "findings": latest.findings if latest else [],
                "checks": checks,
                "assessments": list(application.rule_assessments.all()),
            }
        )


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only: no "yes", 1 or "true" for a judgement."""

    default_error_messages = {
        "invalid": _("Please answer true (met) or false (not met)."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class AssessmentInputSerializer(Serializer):
    """The office's judgement of one rule that needs a person (``policies.rules.Assessment``)."""

    rule = serializers.CharField(max_length=64)
    met = StrictBooleanField()
    reason = multi_line_text(
        max_length=NOTE_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


UNKNOWN_RULE = _(
    "“%(rule)s” is not a requirement the project office assesses for this application."
)
DUPLICATE_RULE = _("The requirement “%(rule)s” is assessed more than once.")


class ReviewSerializer(Serializer):
    """The office's decision on the check task; a note is required unless eligible. With it
    the assessments of the rules that need a human judgement (context ``rules``: their ids
    for this application's latest check); whether the decision may be taken with them is
    the use case's to judge (``workflows.services.complete_check``)."""

    outcome = serializers.ChoiceField(choices=DECISIONS)
    note = multi_line_text(max_length=NOTE_MAX_LENGTH, allow_blank=True, required=False, default="")
    assessments = AssessmentInputSerializer(many=True, required=False, default=list)

    def validate_assessments(self, items):
        known = set(self.context.get("rules", ()))
        errors, seen = [], set()
        for item in items:
            rule = item["rule"]
            if rule not in known:
                errors.append({"rule": [UNKNOWN_RULE % {"rule": rule}]})
            elif rule in seen:
                errors.append({"rule": [DUPLICATE_RULE % {"rule": rule}]})
            else:
                errors.append({})
            seen.add(rule)
        if any(errors):
            raise serializers.ValidationError(errors)
        return {
            item["rule"]: Assessment(item["rule"], item["met"], item["reason"].strip())
            for item in items
        }

    def validate(self, attrs):
        # Same rule and wording as workflows.services.complete_check, checked here so that a
        # refused decision is answered before the task is claimed.
        attrs["note"] = attrs["note"].strip()
        note_problems = check_note_errors(attrs["outcome"], attrs["note"])
        if note_problems:
            raise serializers.ValidationError({"note": note_problems})
        return attrs
