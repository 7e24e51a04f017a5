"""POST /api/v1/auth/token/: username and password in, ``{"token"}`` out."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import parsers, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView


class ObtainTokenView(APIView):
    """Exchange a username and password for the user's API token (created on first use)."""

    # The credentials are the authentication here; a stale session must not get in the way.
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()
    parser_classes = (parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser)

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", fields={"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong username or password, or a field missing."),
        },
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
