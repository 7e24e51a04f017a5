"""The project office's assessment of a guideline rule that needs a human judgement (issue 12,
item 6). Registered with the app through ``applications.models``, which imports it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleAssessmentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Assessments are evidence: they are never changed.")

    def delete(self):
        raise TypeError("Assessments are evidence: they are never deleted.")


class RuleAssessment(models.Model):
    """Met or not met, and why: one judgement rule (``policies.rules.judgement_rules``) of the
    guideline check ``guideline_check``, recorded with the office's decision ``decision`` on
    the check. Appended, never changed: a later check (after changes) adds its own."""

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="rule_assessments",
    )
    guideline_check = models.ForeignKey(
        "applications.GuidelineCheck",
        verbose_name=_("guideline check"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    rule = models.CharField(_("requirement"), max_length=64)
    met = models.BooleanField(_("met"))
    reason = models.TextField(_("reason"), blank=True)
    decision = models.CharField(_("decision"), max_length=20)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("assessed at"), auto_now_add=True)

    objects = RuleAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment of a guideline requirement")
        verbose_name_plural = _("assessments of guideline requirements")
        ordering = ["-assessed_at", "-id"]

    def __str__(self):
        return f"{self.application_id} {self.rule} {'met' if self.met else 'not met'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Assessments are evidence: they are never changed.")
        super().save(*args, **kwargs)
