"""Mounted under /api/v1/rtc/: room tokens and connection reports for browsers and mobile apps."""

from django.urls import path

from . import api

app_name = "rtc_api"
urlpatterns = [
    path("token/", api.RtcTokenIssueView.as_view(), name="token"),
    path("token/renew/", api.RtcTokenRenewView.as_view(), name="token-renew"),
    path("presence/", api.RtcPresenceView.as_view(), name="presence"),
]
