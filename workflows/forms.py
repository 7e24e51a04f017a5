from django import forms
from django.utils.translation import gettext_lazy as _

from fund_manager.applications.services import NOTE_MAX_LENGTH
from fund_manager.core.forms import Form
from policies import rules
from policies.notes import check_note_errors


class CheckDecisionForm(Form):
    """The office's decision on a check, with an assessment of every rule that needs a human
    judgement (``judgement_rules``: ``policies.findings.RuleSpec`` of the check's guideline).

    The rules of ``policies.rules.assessment_errors`` are applied here too, so a refused
    decision comes back with the marked fields before the service is asked.
    """

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("eligible", _("Eligible: the funding requirements are met")),
            ("changes_requested", _("Request changes from the applicant")),
            ("ineligible", _("Ineligible: the funding requirements are not met")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the applicant"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required when you request changes (what to change) or find the application "
            "ineligible (the reasons). The applicant receives it by e-mail."
        ),
    )

    def __init__(self, *args, judgement_rules=(), failed_rules=(), **kwargs):
        self.judgement_rules = list(judgement_rules)
        self.failed_rules = list(failed_rules)
        super().__init__(*args, **kwargs)
        # Shown as required (the usual case, "eligible"); optional only when the posted
        # decision does not need it. assessment_errors has the last word either way.
        must_assess = not self.is_bound or self.data.get("outcome") == "eligible"
        for spec in self.judgement_rules:
            self.fields[rules.assessment_field(spec.id)] = forms.ChoiceField(
                # The rule's title is the guideline's German name (as in the findings).
                label=_("Assessment: %(rule)s") % {"rule": spec.title},
                choices=[
                    (rules.MET, _("Met")),
                    (rules.NOT_MET, _("Not met")),
                ],
                widget=forms.RadioSelect,
                required=must_assess,
                error_messages={"required": rules.NOT_ASSESSED_MET},
                help_text=_("Required before you find the application eligible."),
            )
            self.fields[rules.reason_field(spec.id)] = forms.CharField(
                label=_("Reason for your assessment"),
                required=False,
                max_length=NOTE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Required when the requirement is not met. Kept in the history."),
            )

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome and "note" in cleaned:
            # The service asks the same; here too, so every error shows at once.
            for message in check_note_errors(outcome, cleaned["note"]):
                self.add_error("note", message)
        if outcome:
            for field, messages in rules.assessment_errors(
                outcome,
                [spec.id for spec in self.judgement_rules],
                self.assessments,
                failed_rules=self.failed_rules,
            ).items():
                for message in messages:
                    if field is None or field not in self.errors:
                        self.add_error(field, message)
        return cleaned

    @property
    def assessments(self) -> dict[str, rules.Assessment]:
        """Rule id -> the assessment as entered (met None: not assessed)."""
        data = getattr(self, "cleaned_data", {})
        result = {}
        for spec in self.judgement_rules:
            choice = data.get(rules.assessment_field(spec.id)) or ""
            met = {rules.MET: True, rules.NOT_MET: False}.get(choice)
            result[spec.id] = rules.Assessment(
                spec.id, met, (data.get(rules.reason_field(spec.id)) or "").strip()
            )
        return result
