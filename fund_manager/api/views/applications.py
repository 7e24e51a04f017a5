"""/api/v1/applications/: reads through the selectors, every write through the services.

Visibility is the selectors' rule: what the caller may not see does not exist (404, never 403).
Role and state are the services' rules: NotPermitted -> 403, ApplicationError -> 409,
InvalidInput -> 400 with field errors (fund_manager.api.exceptions). Whatever moves the
process (submit, withdraw, discard, review) is a use case of ``workflows.services``, the same
one the pages call.
"""

from contextlib import contextmanager

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from fund_manager.applications import selectors, services
from fund_manager.applications.eligibility import precheck
from fund_manager.applications.models import Application
from fund_manager.core.errors import InvalidInput, NotPermitted
from workflows import services as use_cases

from ..filters import ApplicationFilter
from ..serializers.applications import (
    DECLARATIONS,
    ApplicationCreateSerializer,
    ApplicationSerializer,
    service_input,
)
from ..serializers.base import Serializer, multi_line_text
from ..serializers.eligibility import EligibilitySerializer, ReviewSerializer
from ..serializers.history import AuditEntrySerializer
from ._common import validated

_DECLARATION_OF_FIELD = {model: api for api, model in DECLARATIONS.items()}


class WithdrawSerializer(Serializer):
    reason = multi_line_text(
        max_length=services.NOTE_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


@contextmanager
def api_field_names():
    """Service field errors use model names; answer with the names the API uses."""
    try:
        yield
    except InvalidInput as exc:
        if not exc.fields:
            raise
        detail = {}
        for field, messages in exc.fields.items():
            messages = [str(message) for message in messages]
            if field in _DECLARATION_OF_FIELD:
                detail.setdefault("declarations", {})[_DECLARATION_OF_FIELD[field]] = messages
            else:
                detail.setdefault(field, []).extend(messages)
        raise ValidationError(detail) from exc


@contextmanager
def api_assessment_errors():
    """The use case names the assessment fields as the check page does (``assess_<rule>``,
    ``reason_<rule>``, None for the whole decision); the API answers with its own names:
    ``assessments: {<rule>: {"met" | "reason": [...]}}`` and ``non_field_errors``."""
    try:
        yield
    except InvalidInput as exc:
        if not exc.fields:
            raise
        detail = {}
        for field, messages in exc.fields.items():
            messages = [str(message) for message in messages]
            if field is None:
                detail.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)
            elif field.startswith(("assess_", "reason_")):
                kind, rule = field.split("_", 1)
                part = "met" if kind == "assess" else "reason"
                detail.setdefault("assessments", {}).setdefault(rule, {})[part] = messages
            else:
                detail.setdefault(field, []).extend(messages)
        raise ValidationError(detail) from exc


_TAGS = ["applications"]
_NOT_FOUND = OpenApiResponse(description="Does not exist or is not visible to the caller.")
_FORBIDDEN = OpenApiResponse(description="The caller's role may not do this.")
_CONFLICT = OpenApiResponse(
    description="The current state forbids this: {detail, code}.",
)


@extend_schema_view(
    list=extend_schema(tags=_TAGS),
    retrieve=extend_schema(tags=_TAGS, responses={200: ApplicationSerializer, 404: _NOT_FOUND}),
)
class ApplicationViewSet(viewsets.GenericViewSet):
    serializer_class = ApplicationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApplicationFilter
    lookup_value_converter = "int"
    queryset = Application.objects.none()  # for the schema; get_queryset scopes every request

    def get_queryset(self):
        return selectors.application_list(self.request.user).prefetch_related(
            "target_groups", "cost_items", "agenda_items"
        )

    def get_object(self):
        try:
            return selectors.application_detail(self.request.user, self.kwargs["pk"])
        except Application.DoesNotExist as exc:
            raise NotFound() from exc

    def _answer(self, application, status_code=status.HTTP_200_OK):
        fresh = selectors.application_detail(self.request.user, application.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        tags=_TAGS,
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer, 403: _FORBIDDEN, 409: _CONFLICT},
    )
    def create(self, request):
        if not request.user.has_perm("applications.add_application"):
            raise NotPermitted(_("Only applicants can start an application."))
        attrs = validated(
            ApplicationCreateSerializer, request, context=self.get_serializer_context()
        )
        data, cost_items, target_groups = service_input(attrs)
        with api_field_names():
            application = services.create_application(
                by=request.user,
                organisation=attrs["organisation"],
                fiscal_year=attrs["fiscal_year"],
                data=data,
                cost_items=cost_items or (),
                target_groups=target_groups or (),
            )
        return self._answer(application, status.HTTP_201_CREATED)

    @extend_schema(
        tags=_TAGS,
        responses={200: ApplicationSerializer, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _CONFLICT},
    )
    def partial_update(self, request, pk=None):
        application = self.get_object()
        serializer = self.get_serializer(application, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, cost_items, target_groups = service_input(serializer.validated_data)
        with api_field_names():
            application = services.update_application(
                application=application,
                by=request.user,
                data=data,
                cost_items=cost_items,
                target_groups=target_groups,
            )
        return self._answer(application)

    @extend_schema(
        tags=_TAGS,
        description=(
            "Deletes a draft. An application sent back with `changes_requested` was already "
            "registered under its reference, so it is withdrawn instead (the record stays). "
            "Any other state: 409."
        ),
        responses={204: None, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _CONFLICT},
    )
    def destroy(self, request, pk=None):
        use_cases.withdraw_or_delete(application=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=_TAGS,
        request=None,
        responses={
            200: ApplicationSerializer,
            400: OpenApiResponse(description="Incomplete: field errors say what is missing."),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a complete draft, or resubmit after changes were requested."""
        application = self.get_object()
        with api_field_names():
            application = use_cases.submit_application(application=application, by=request.user)
        return self._answer(application)

    @extend_schema(
        tags=_TAGS,
        request=WithdrawSerializer,
        responses={200: ApplicationSerializer, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The applicant withdraws an application that has not been decided yet."""
        application = self.get_object()
        reason = validated(WithdrawSerializer, request)["reason"]
        application = use_cases.withdraw_application(
            application=application, by=request.user, reason=reason
        )
        return self._answer(application)

    @extend_schema(tags=_TAGS, responses={200: AuditEntrySerializer(many=True), 404: _NOT_FOUND})
    @action(detail=True, methods=["get"], filter_backends=[], serializer_class=AuditEntrySerializer)
    def history(self, request, pk=None):
        """The audit entries of the application, oldest first."""
        application = self.get_object()
        page = self.paginate_queryset(selectors.application_history(application))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

    @extend_schema(
        tags=_TAGS,
        description=(
            "A draft (visible to its applicant only): the pre-check, the findings as they would "
            "be at submission today, nothing stored (`checked_at` null, `trigger` `precheck`). "
            "A submitted application: the latest stored guideline check, and in `checks` every "
            "stored check, newest first."
        ),
        responses={200: EligibilitySerializer, 404: _NOT_FOUND},
    )
    @action(
        detail=True, methods=["get"], filter_backends=[], serializer_class=EligibilitySerializer
    )
    def eligibility(self, request, pk=None):
        """The funding guideline's findings on the application."""
        application = self.get_object()
        if application.submitted_at is None:
            return Response(EligibilitySerializer.for_precheck(*precheck(application)).data)
        checks = list(application.guideline_checks.order_by("-checked_at", "-id"))
        return Response(EligibilitySerializer.for_checks(application, checks).data)

    @extend_schema(
        tags=_TAGS,
        request=ReviewSerializer,
        description=(
            "The project office decides the open check task: `eligible`, `ineligible` (`note` "
            "= the reason) or `changes_requested` (`note` = what to change). With it, "
            "`assessments`: the office's judgement of each guideline rule that needs a person "
            "(`[{rule, met, reason}]`; today `new_approach`). `eligible` needs every such rule "
            "assessed as met, `ineligible` a rule not met (assessed, or found by the check), "
            "`met: false` a `reason`; `changes_requested` needs none. An unassigned task "
            "is taken by the caller first. No open check task (a draft, waiting for changes, "
            "already decided): 409 `no_open_check`. A task assigned to someone else: 403."
        ),
        responses={
            200: ApplicationSerializer,
            400: OpenApiResponse(
                description=(
                    "Unknown outcome, missing note, an unknown or repeated rule, a missing or "
                    "refused assessment: field errors (`assessments`: per rule `met` or "
                    "`reason`; `non_field_errors`)."
                )
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The project office's decision on the funding requirements (the check task)."""
        application = self.get_object()
        # Role before input: a provider learns nothing more from a 400.
        use_cases.require_check_role(request.user, application)
        _check, to_assess = use_cases.rules_to_assess(application)
        decision = validated(
            ReviewSerializer, request, context={"rules": [spec.id for spec in to_assess]}
        )
        with api_assessment_errors():
            application = use_cases.review(
                application=application,
                by=request.user,
                outcome=decision["outcome"],
                note=decision["note"],
                assessments=decision["assessments"],
            )
        return self._answer(application)
