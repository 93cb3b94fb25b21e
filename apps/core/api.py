"""What every JSON API endpoint may answer besides success, for the OpenAPI schema (drf-spectacular).

A refusal is ``{detail, code}`` (``apps.core.errors``); REST framework's own refusals (not signed in, throttled)
carry ``detail`` only, and its validation errors name the fields: ``{"field": ["message", ...]}``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ApiErrorSerializer, description=description)


API_ERROR_RESPONSES = {
    400: OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description="Bad input: `{detail, code}`, or the fields that failed validation with their messages",
    ),
    401: _error("Not signed in (app session token)"),
    403: _error("Not signed in (browser session), or not allowed to do this"),
    404: _error("No such object for this user"),
    409: _error("The object's state forbids it"),
    429: _error("Too many requests; try again later"),
    503: _error("The integration this needs is not configured"),
}
