"""POST /api/v1/auth/token/: username and password in, ``{"token"}`` out."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import parsers, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fund_manager.core.lockout import lockout_message

from ..parsers import BoundedJSONParser


class ObtainTokenView(APIView):
    """Exchange a username and password for the user's API token (created on first use)."""

    # The credentials are the authentication here; a stale session must not get in the way.
    authentication_classes = ()
    permission_classes = ()
    # Per address, REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_token"] (FM_API_TOKEN_RATE);
    # django-axes locks a user name and address after repeated failures on top of it.
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "auth_token"
    parser_classes = (BoundedJSONParser, parsers.FormParser, parsers.MultiPartParser)

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", fields={"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong username or password, or a field missing."),
            429: OpenApiResponse(
                description=(
                    "Too many requests (code `throttled`) or too many failed logins of this "
                    "user name from this address (code `locked_out`); see Retry-After."
                )
            ),
        },
    )
    def post(self, request):
        # django-axes needs Django's request: it marks a lockout on it for its middleware.
        http_request = request._request
        serializer = AuthTokenSerializer(data=request.data, context={"request": http_request})
        if not serializer.is_valid():
            if getattr(http_request, "axes_locked_out", False):
                return Response(
                    {"detail": lockout_message(http_request), "code": "locked_out"}, status=429
                )
            raise ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, Throttled) and isinstance(response.data, dict):
            response.data.setdefault("code", "throttled")
        return response
