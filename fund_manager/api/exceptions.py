"""Domain errors -> HTTP: 400 with field errors, 403, 409 ``{"detail", "code"}`` (API.md)."""

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from fund_manager.core.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        if exc.status_code == status.HTTP_400_BAD_REQUEST and exc.fields:
            body = {field: [str(m) for m in messages] for field, messages in exc.fields.items()}
        else:
            body = {"detail": str(exc), "code": exc.code}
            if exc.fields:
                body["errors"] = {f: [str(m) for m in ms] for f, ms in exc.fields.items()}
        return Response(body, status=exc.status_code)
    if isinstance(exc, ObjectDoesNotExist):
        exc = NotFound()
    return drf_exception_handler(exc, context)
