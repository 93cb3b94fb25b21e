"""Versioned JSON API (DRF). Only for mobile clients, provider callbacks and internal endpoints."""

from django.urls import include, path

from apps.accounts.api import MeView

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("rtc/", include("apps.rtc.api_urls")),
]
