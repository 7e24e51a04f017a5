"""What the API's action views share: the documented answers, "the object the caller may see
or 404", "may the caller do this or 403" and the request body as a serializer reads it.

The order of refusals is the same everywhere: 404 (the caller cannot see it), 403 (a role or
person that may not do this, before the body is looked at), 400 (field errors), 409 (the
service's code)."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from fund_manager.applications.models import Application
from fund_manager.applications.selectors import application_detail
from fund_manager.core.errors import NotPermitted

NOT_FOUND = OpenApiResponse(description="Does not exist or is not visible to the caller.")
FORBIDDEN = OpenApiResponse(description="The caller may not do this.")
FORBIDDEN_ROLE = OpenApiResponse(description="The caller's role may not do this.")
CONFLICT = OpenApiResponse(description="The state forbids this: {detail, code}.")
BAD = OpenApiResponse(description="Field errors.")


def action_responses(
    ok=None,
    *,
    created=None,
    bad=BAD,
    forbidden=FORBIDDEN_ROLE,
    not_found=NOT_FOUND,
    conflict=CONFLICT,
):
    """``extend_schema(responses=...)`` of an action: 200 ``ok`` and/or 201 ``created``, then
    400, 403, 404 and 409 (pass ``None`` to leave one out)."""
    answers = {201: created, 200: ok, 400: bad, 403: forbidden, 404: not_found, 409: conflict}
    return {code: answer for code, answer in answers.items() if answer is not None}


def post_action(*, tags, request=None, responses, description):
    """A view set's ``POST .../{pk}/<name>/`` (routed by its method name) with its schema."""

    def decorate(view):
        routed = action(detail=True, methods=["post"], serializer_class=request)(view)
        return extend_schema(
            tags=tags, request=request, responses=responses, description=description
        )(routed)

    return decorate


def visible_or_404(load, *args, missing, **kwargs):
    """``load(*args, **kwargs)``; ``missing`` (the model's ``DoesNotExist``: the object does
    not exist or the caller cannot see it) answers 404."""
    try:
        return load(*args, **kwargs)
    except missing as exc:
        raise NotFound() from exc


def application_or_404(request, pk):
    """The application ``pk`` as the caller sees it, else 404."""
    return visible_or_404(application_detail, request.user, pk, missing=Application.DoesNotExist)


def require(allowed):
    """403 unless ``allowed``: called before the body is read, so a refusal changes nothing."""
    if not allowed:
        raise NotPermitted()


def validated(serializer_class, request, **kwargs):
    """The request body as ``serializer_class`` reads it; field errors answer 400 (before the
    service is called, so a refused body changes nothing)."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# List and detail of what the caller may see: ``get_queryset`` scopes the list (filtered by the
# ``filterset_class``), ``get_object`` is 404 for anything else, ``serialize`` answers with the
# ``serializer_class`` (and ``serializer_context()``). Subclasses give ``list`` and ``retrieve``
# their schema with ``extend_schema_view``. (No docstring: drf-spectacular would inherit it as
# the description of every subclass's operations.)
class VisibleViewSet(viewsets.GenericViewSet):
    filter_backends = [filters.DjangoFilterBackend]
    lookup_value_converter = "int"

    def load(self, pk):
        """The object ``pk`` among those the caller may see (``DoesNotExist`` if none)."""
        return self.get_queryset().get(pk=pk)

    def get_object(self):
        return visible_or_404(
            self.load, self.kwargs["pk"], missing=self.queryset.model.DoesNotExist
        )

    def serializer_context(self):
        return {}

    def serialize(self, instance, **kwargs):
        return self.serializer_class(instance, context=self.serializer_context(), **kwargs).data

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.serialize(page, many=True))

    def retrieve(self, request, pk=None):
        return Response(self.serialize(self.get_object()))
