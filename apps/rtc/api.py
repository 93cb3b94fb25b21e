"""JSON endpoints for browsers and mobile apps: issue and renew room tokens, report connection states.

A refusal is a domain error, answered as ``{detail, code}`` with its status by ``apps.core.errors``: 404 for a
room the user may not know about, 403 for one they may not join, 503 when Agora is not configured.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from apps.core.api import API_ERROR_RESPONSES

from .enums import ConnectionState
from .services import rtc_connection_event_record, rtc_token_issue, rtc_token_renew


class RtcTokenThrottle(UserRateThrottle):
    scope = "rtc_token"
    rate = "30/min"


class RtcPresenceThrottle(UserRateThrottle):
    scope = "rtc_presence"
    rate = "60/min"


class RoomSerializer(serializers.Serializer):
    use = serializers.RegexField(r"^[a-z][a-z0-9_]{0,31}$")
    object_id = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$")


class TokenSerializer(RoomSerializer):
    rtm_tag = serializers.RegexField(r"^[a-z0-9]{1,16}$", required=False, default="")


class RenewSerializer(TokenSerializer):
    channel = serializers.CharField(max_length=64, required=False)


class PresenceSerializer(RoomSerializer):
    state = serializers.ChoiceField(choices=ConnectionState.choices)
    previous_state = serializers.ChoiceField(choices=ConnectionState.choices, required=False, default="")
    reason = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class CredentialsSerializer(serializers.Serializer):
    app_id = serializers.CharField()
    channel = serializers.CharField()
    uid = serializers.IntegerField()
    token = serializers.CharField()
    role = serializers.ChoiceField(choices=["publisher", "subscriber"])
    modality = serializers.ChoiceField(choices=["voice", "video"])
    profile = serializers.ChoiceField(choices=["rtc", "live"])
    privileges = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()
    ttl_seconds = serializers.IntegerField()
    rtm = serializers.DictField(allow_null=True)


class PresenceRecordedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ConnectionState.choices)


class RtcTokenIssueView(APIView):
    throttle_classes = [RtcTokenThrottle]

    @extend_schema(request=TokenSerializer, responses={200: CredentialsSerializer, **API_ERROR_RESPONSES})
    def post(self, request: Request) -> Response:
        data = TokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = rtc_token_issue(actor=request.user, **data.validated_data)
        return Response(issued.as_json())


class RtcTokenRenewView(APIView):
    throttle_classes = [RtcTokenThrottle]

    @extend_schema(request=RenewSerializer, responses={200: CredentialsSerializer, **API_ERROR_RESPONSES})
    def post(self, request: Request) -> Response:
        data = RenewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        issued = rtc_token_renew(
            actor=request.user,
            use=fields["use"],
            object_id=fields["object_id"],
            channel_name=fields.get("channel"),
            rtm_tag=fields["rtm_tag"],
        )
        return Response(issued.as_json())


class RtcPresenceView(APIView):
    throttle_classes = [RtcPresenceThrottle]

    @extend_schema(request=PresenceSerializer, responses={201: PresenceRecordedSerializer, **API_ERROR_RESPONSES})
    def post(self, request: Request) -> Response:
        data = PresenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = rtc_connection_event_record(actor=request.user, **data.validated_data)
        return Response({"id": event.pk, "state": event.state}, status=status.HTTP_201_CREATED)
