"""Applications: JSON <-> the inputs of ``applications.services`` (which do every write).

The serializers only parse and look things up; they never save. ``service_input`` turns the
validated data into the keyword arguments of ``create_application``/``update_application``.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fund_manager.applications.content import CostLine
from fund_manager.applications.models import Application, CostItem
from fund_manager.funds.models import ActionField, FiscalYear, Fund, TargetGroup
from fund_manager.funds.selectors import current_fiscal_year
from fund_manager.organisations.models import Organisation
from policies.access import member_organisation_ids
from policies.dates import end_before_start_error, project_date_errors

from ..fields import MoneyField
from .base import Serializer, multi_line_text

# API name of a declaration -> model field.
DECLARATIONS = {
    "not_otherwise_financeable": "declares_not_otherwise_financeable",
    "not_started": "declares_not_started",
    "new_approach": "declares_new_approach",
    "sustainable": "declares_sustainable",
}

# Plain content fields passed to the services under the same name.
_PLAIN_FIELDS = (
    "title",
    "summary",
    "project_kind",
    "approach",
    "location",
    "start_date",
    "end_date",
    "own_funds",
    "third_party_funds",
    "third_party_funds_source",
    "publication_consent",
)


def _max_length(model, name):
    """The limit of a text, from the model field: form, API and model never disagree."""
    return model._meta.get_field(name).max_length


class CostItemSerializer(Serializer):
    category = serializers.ChoiceField(choices=CostItem.Category.choices)
    description = serializers.CharField(max_length=_max_length(CostItem, "description"))
    amount = MoneyField()


class DeclarationsSerializer(Serializer):
    not_otherwise_financeable = serializers.BooleanField(
        source=DECLARATIONS["not_otherwise_financeable"], required=False
    )
    not_started = serializers.BooleanField(source=DECLARATIONS["not_started"], required=False)
    new_approach = serializers.BooleanField(source=DECLARATIONS["new_approach"], required=False)
    sustainable = serializers.BooleanField(source=DECLARATIONS["sustainable"], required=False)


class CodeField(serializers.SlugField):
    """A reference entry (action field) written and shown as its ``code``."""

    def to_representation(self, value):
        return value.code


class CodeListField(serializers.ListField):
    """Reference entries (target groups) written and shown as a list of codes."""

    child = serializers.SlugField()

    def to_representation(self, data):
        # .all() keeps a prefetch_related("target_groups") in use.
        return [entry.code for entry in data.all()]


@extend_schema_field(OpenApiTypes.INT)
class FiscalYearField(serializers.PrimaryKeyRelatedField):
    """A fiscal year by id."""


@extend_schema_field(OpenApiTypes.STR)
class FundField(serializers.SlugRelatedField):
    """A fund by code."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class MemberOrganisationField(serializers.PrimaryKeyRelatedField):
    """One of the caller's own organisations, by id."""

    default_error_messages = {
        "does_not_exist": _("You can only apply for an organisation you belong to."),
    }

    def get_queryset(self):
        user = self.context["request"].user
        return Organisation.objects.filter(pk__in=member_organisation_ids(user))


class ApplicationSerializer(Serializer):
    """An application as docs/api.md lists it, plus ``fiscal_year``, ``project_kind``, ``approach``,
    ``third_party_funds_source`` and ``total_costs``. Used for reading and for PATCH."""

    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True, allow_null=True)
    organisation = MemberOrganisationField(read_only=True)
    fund = FundField(read_only=True)
    fiscal_year = FiscalYearField(read_only=True)
    title = serializers.CharField(max_length=_max_length(Application, "title"))
    summary = multi_line_text(
        max_length=_max_length(Application, "summary"), allow_blank=True, required=False
    )
    project_kind = serializers.ChoiceField(
        choices=Application.ProjectKind.choices, allow_blank=True, required=False
    )
    approach = multi_line_text(
        max_length=_max_length(Application, "approach"), allow_blank=True, required=False
    )
    action_field = CodeField(allow_null=True, required=False)
    target_groups = CodeListField(required=False)
    location = serializers.CharField(
        max_length=_max_length(Application, "location"), allow_blank=True, required=False
    )
    start_date = serializers.DateField(allow_null=True, required=False)
    end_date = serializers.DateField(allow_null=True, required=False)
    cost_items = CostItemSerializer(many=True, required=False)
    own_funds = MoneyField(allow_zero=True, required=False)
    third_party_funds = MoneyField(allow_zero=True, required=False)
    third_party_funds_source = serializers.CharField(
        max_length=_max_length(Application, "third_party_funds_source"),
        allow_blank=True,
        required=False,
    )
    total_costs = MoneyField(read_only=True)
    requested_amount = MoneyField(read_only=True)
    declarations = DeclarationsSerializer(source="*", required=False)
    # Only a natural person's consent matters: its name appears in the open data only then.
    publication_consent = serializers.BooleanField(required=False)
    state = serializers.ChoiceField(
        choices=Application._meta.get_field("state").choices, read_only=True
    )
    round = serializers.SerializerMethodField()
    approved_amount = MoneyField(read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_round(self, application) -> int | None:
        """The round the application is (or was last) on the agenda of."""
        items = sorted(application.agenda_items.all(), key=lambda item: item.round_id)
        return items[-1].round_id if items else None

    def to_internal_value(self, data):
        # Read-only fields are refused, not silently dropped: a client that believes it changed
        # the state or the applicant must learn that it did not.
        refused = {}
        if isinstance(data, dict):
            for name, field in self.fields.items():
                if field.read_only and name in data:
                    refused[name] = [_("This field cannot be set.")]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not refused:
                raise
            raise serializers.ValidationError({**refused, **exc.detail}) from exc
        if refused:
            raise serializers.ValidationError(refused)
        return value

    def validate(self, attrs):
        instance = self.instance
        fund = instance.fund if instance is not None else attrs["fiscal_year"].fund
        errors = {}
        start = attrs.get("start_date", getattr(instance, "start_date", None))
        end = attrs.get("end_date", getattr(instance, "end_date", None))
        order = end_before_start_error(start, end)
        if order:
            errors["end_date"] = [order]
        # Only the dates sent are checked: a stored date outside the window does not block
        # changing another field (the form and the service do the same).
        fiscal_year = instance.fiscal_year if instance is not None else attrs["fiscal_year"]
        for field, messages in project_date_errors(attrs, fiscal_year=fiscal_year.year).items():
            errors.setdefault(field, []).extend(messages)
        if attrs.get("action_field"):
            code = attrs["action_field"]
            attrs["action_field"] = ActionField.objects.filter(
                fund=fund, code=code, active=True
            ).first()
            if attrs["action_field"] is None:
                errors["action_field"] = [
                    _("There is no action field “%(code)s” in this fund.") % {"code": code}
                ]
        elif "action_field" in attrs:
            attrs["action_field"] = None  # null clears the choice in a draft
        if "target_groups" in attrs:
            codes = list(dict.fromkeys(attrs["target_groups"]))
            groups = {
                group.code: group
                for group in TargetGroup.objects.filter(fund=fund, code__in=codes, active=True)
            }
            unknown = [code for code in codes if code not in groups]
            if unknown:
                errors["target_groups"] = [
                    _("There is no target group “%(code)s” in this fund.") % {"code": code}
                    for code in unknown
                ]
            attrs["target_groups"] = [groups[code] for code in codes if code in groups]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ApplicationCreateSerializer(ApplicationSerializer):
    """POST: also chooses the applicant, the fund and the fiscal year (none changes later)."""

    organisation = MemberOrganisationField(
        required=False,
        help_text=_("Defaults to the caller's organisation; required if there are several."),
    )
    fund = FundField(
        queryset=Fund.objects.all(),
        required=False,
        help_text=_("Fund code; defaults to the fiscal year's fund, or the only fund."),
    )
    fiscal_year = FiscalYearField(
        queryset=FiscalYear.objects.select_related("fund"),
        required=False,
        help_text=_(
            "Defaults to the fund's open fiscal year of the current year, else the newest open one."
        ),
    )

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        # Resolved here, before validate(), which looks codes up within the fiscal year's fund.
        errors = {}
        if "organisation" not in attrs:
            own = member_organisation_ids(self.context["request"].user)
            if len(own) == 1:
                attrs["organisation"] = Organisation.objects.get(pk=next(iter(own)))
            elif own:
                errors["organisation"] = [
                    _("You belong to several organisations: please choose one.")
                ]
            else:
                errors["organisation"] = [_("You do not belong to any organisation.")]
        fund, fiscal_year = attrs.get("fund"), attrs.get("fiscal_year")
        if fiscal_year is not None:
            if fund is not None and fiscal_year.fund_id != fund.pk:
                errors["fiscal_year"] = [_("This fiscal year belongs to another fund.")]
        else:
            if fund is None:
                funds = list(Fund.objects.all()[:2])
                fund = funds[0] if len(funds) == 1 else None
            if fund is None:
                errors["fund"] = [_("Please choose the fund.")]
            else:
                attrs["fiscal_year"] = current_fiscal_year(fund)
                if attrs["fiscal_year"] is None:
                    errors["fiscal_year"] = [
                        _("This fund has no fiscal year open for applications.")
                    ]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["fund"] = attrs["fiscal_year"].fund
        return attrs


def service_input(attrs):
    """Validated data -> ``data``, ``cost_items`` and ``target_groups`` for the services.

    ``cost_items``/``target_groups`` are None when the request did not mention them (PATCH
    leaves them as they are); a given list replaces the whole cost plan or choice.
    """
    data = {name: attrs[name] for name in _PLAIN_FIELDS if name in attrs}
    if "action_field" in attrs:
        data["action_field"] = attrs["action_field"]
    for model_field in DECLARATIONS.values():
        if model_field in attrs:
            data[model_field] = attrs[model_field]
    cost_items = None
    if "cost_items" in attrs:
        cost_items = [
            CostLine(
                category=line["category"], description=line["description"], amount=line["amount"]
            )
            for line in attrs["cost_items"]
        ]
    return data, cost_items, attrs.get("target_groups")
