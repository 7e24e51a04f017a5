"""What the provider writes into an application: its fields, the cost plan and the amounts
derived from it (Fehlbedarfsfinanzierung), and the business checks on that input. The services
(``applications.services``) call these inside their transaction."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import InvalidInput
from fund_manager.core.money import ZERO, check_amount, quantize
from fund_manager.core.text import text_errors
from policies.dates import end_before_start_error, project_date_errors

from .models import Application, CostItem

# The fields a provider may set; everything else (state, reference, amounts) is derived.
CONTENT_FIELDS = (
    "title",
    "summary",
    "project_kind",
    "approach",
    "action_field",
    "location",
    "start_date",
    "end_date",
    "own_funds",
    "third_party_funds",
    "third_party_funds_source",
    "declares_not_otherwise_financeable",
    "declares_not_started",
    "declares_new_approach",
    "declares_sustainable",
    # Only a natural person's consent matters (issue 13: the open data name it only then).
    "publication_consent",
)


@dataclass(frozen=True)
class CostLine:
    category: str
    description: str
    amount: Decimal


def validate_content(*, data, cost_items, fiscal_year):
    """Business checks on input that passed the form/serializer: clear field errors."""
    fund = fiscal_year.fund
    errors = project_date_errors(data, fiscal_year=fiscal_year.year)
    for field, messages in text_errors(Application, data).items():
        errors.setdefault(field, []).extend(messages)
    for field in ("own_funds", "third_party_funds"):
        value = data.get(field)
        if value is None:
            continue
        try:
            check_amount(value, allow_zero=True)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    order = end_before_start_error(data.get("start_date"), data.get("end_date"))
    if order:
        errors.setdefault("end_date", []).append(order)
    action_field = data.get("action_field")
    if action_field is not None and action_field.fund_id != fund.pk:
        errors.setdefault("action_field", []).append(
            _("This action field belongs to another fund.")
        )
    if cost_items is not None:
        categories = set(CostItem.Category.values)
        for index, line in enumerate(cost_items):
            if line.category not in categories:
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: unknown category.") % {"n": index + 1}
                )
            if not line.description.strip():
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: please describe the cost.") % {"n": index + 1}
                )
            for message in text_errors(CostItem, {"description": line.description}).get(
                "description", ()
            ):
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: %(message)s") % {"n": index + 1, "message": message}
                )
            try:
                check_amount(line.amount)
            except ValidationError as exc:
                errors.setdefault("cost_items", []).extend(
                    _("Line %(n)s: %(message)s") % {"n": index + 1, "message": message}
                    for message in exc.messages
                )
    if errors:
        raise InvalidInput(fields=errors)


def apply_content(application, data, target_groups):
    """Set the provider's fields on ``application`` (not saved); the checks that need the
    merged record (a PATCH may send only one of the two dates) are made here."""
    for field in CONTENT_FIELDS:
        if field in data:
            value = data[field]
            if field in ("own_funds", "third_party_funds"):
                value = quantize(value if value is not None else ZERO)
            setattr(application, field, value)
    # Checked on the merged record: a PATCH may send only one of the two dates.
    order = end_before_start_error(application.start_date, application.end_date)
    if order:
        raise InvalidInput(fields={"end_date": [order]})
    if target_groups is not None:
        foreign = [group for group in target_groups if group.fund_id != application.fund_id]
        if foreign:
            raise InvalidInput(
                fields={"target_groups": [_("This target group belongs to another fund.")]}
            )


def replace_cost_items(application, cost_items):
    """The cost plan becomes ``cost_items`` (CostLine), in their order."""
    application.cost_items.all().delete()
    CostItem.objects.bulk_create(
        CostItem(
            application=application,
            position=index,
            category=line.category,
            description=line.description.strip(),
            amount=quantize(line.amount),
        )
        for index, line in enumerate(cost_items)
    )


def recalculate_amounts(application):
    """requested = sum(cost items) - own funds - third-party funds (Fehlbedarfsfinanzierung)."""
    total = quantize(application.cost_items.aggregate(total=Sum("amount"))["total"] or ZERO)
    application.total_costs = total
    application.requested_amount = quantize(
        total - application.own_funds - application.third_party_funds
    )
