"""JSON endpoints for mobile clients (authenticated by allauth's app session token, X-Session-Token)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import API_ERROR_RESPONSES

from .models import User


class MeSerializer(serializers.ModelSerializer):
    public_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "public_name", "role", "timezone", "theme"]
        read_only_fields = fields


class MeView(APIView):
    """The signed-in user's own account."""

    @extend_schema(responses={200: MeSerializer, **API_ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
