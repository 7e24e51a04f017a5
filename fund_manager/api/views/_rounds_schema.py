"""The OpenAPI description of /api/v1/rounds/ and /api/v1/agenda-items/ (drf-spectacular):
the shared responses of the round actions and the close-session answer."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from ..idempotency import IDEMPOTENCY_HEADER
from ..serializers.rounds import RoundSerializer

TAGS = ["rounds"]
BAD_INPUT = OpenApiResponse(description="Bad input: {field: [messages]}.")
NOT_FOUND = OpenApiResponse(description="Does not exist or is not visible to the caller.")
FORBIDDEN = OpenApiResponse(description="The caller's role may not do this.")
CONFLICT = OpenApiResponse(description="The current state forbids this: {detail, code}.")
CLOSE_CONFLICT = OpenApiResponse(
    response=inline_serializer(
        "CloseSessionConflict",
        fields={
            "detail": serializers.CharField(),
            "code": serializers.CharField(),
            "shortfalls": serializers.DictField(
                child=serializers.CharField(),
                required=False,
                help_text=_(
                    "Only with code insufficient_funds: the missing money per action field code."
                ),
            ),
        },
    ),
    description=(
        "Refused, nothing decided or booked: insufficient_funds (with shortfalls), "
        "quorum_missing, proposal_missing, session_not_open (the round is not in session and "
        "not decided), concurrent_change."
    ),
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "1 to 100 printable ASCII characters (no spaces). Closing is idempotent whatever the "
        "key: once the round is decided, every further close answers 200 with the stored "
        "decisions and books nothing (the request has no body, so no two close requests "
        "differ)."
    ),
)


def round_action(description, request=None, ok=RoundSerializer, ok_status=200, **extra):
    responses = {ok_status: ok, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}
    if request is not None:
        responses[400] = BAD_INPUT
    return extend_schema(
        tags=TAGS, description=description, request=request, responses=responses, **extra
    )
