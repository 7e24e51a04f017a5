"""Errors -> HTTP, one shape for the whole API (docs/api.md, issue 9 defect 13).

- Field errors (400): ``{"<field>": ["message"]}``; a validation error without a field is
  ``{"non_field_errors": ["message"]}`` (DRF's key, as serializers answer it).
- Every other error: ``{"detail": "...", "code": "<machine_code>"}``: the services' refusals
  (403 ``not_permitted``, 409 with the service's code), the framework's own answers (401
  ``not_authenticated`` / ``authentication_failed``, 403 ``permission_denied``, 404
  ``not_found``, 405 ``method_not_allowed``, 406 ``not_acceptable``, 415
  ``unsupported_media_type``, 429 ``throttled`` with ``wait`` in seconds, 400 ``parse_error``)
  and a path under ``/api/v1/`` that matches no endpoint (``not_found_view``).

Messages are translated when the exception is raised, in the request's language: German unless
the user chose English (GermanFirstLocaleMiddleware ignores Accept-Language). Django's own 404
text ("No Transfer matches the given query.") is English and names a model: it is replaced.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from fund_manager.core.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return _domain_error(exc)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 (logged), never a guessed answer
    if isinstance(exc, exceptions.ValidationError):
        if not isinstance(response.data, dict):
            response.data = {"non_field_errors": response.data}
        return response
    if isinstance(exc.detail, dict):
        return response  # already shaped by whoever raised it
    response.data = {"detail": _text(exc.detail), "code": _code(exc)}
    if isinstance(exc, exceptions.Throttled):
        response.data.update(_throttled(exc))
    return response


def _domain_error(exc):
    if exc.status_code == status.HTTP_400_BAD_REQUEST and exc.fields:
        body = {field: [str(m) for m in messages] for field, messages in exc.fields.items()}
    else:
        body = {"detail": str(exc), "code": exc.code}
        if exc.fields:
            body["errors"] = {f: [str(m) for m in ms] for f, ms in exc.fields.items()}
    return Response(body, status=exc.status_code)


def _text(detail):
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail)
    return str(detail)


def _code(exc):
    detail = exc.detail[0] if isinstance(exc.detail, list) and exc.detail else exc.detail
    return getattr(detail, "code", None) or exc.default_code


def _throttled(exc):
    """DRF's German catalogue lacks the plural of its wait message: say it ourselves."""
    if exc.wait is None:
        return {}
    wait = int(exc.wait)
    message = ngettext(
        "Too many requests. Please try again in %(wait)s second.",
        "Too many requests. Please try again in %(wait)s seconds.",
        wait,
    ) % {"wait": wait}
    return {"detail": message, "wait": wait}


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any path under /api/v1/ that no endpoint matches: the API's 404, not Django's page."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound()

    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound()

    post = put = patch = delete = head = options = get


not_found_view = NotFoundView.as_view()
