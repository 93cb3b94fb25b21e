"""Versioned JSON API (DRF). Only for mobile clients, provider callbacks and internal endpoints."""

from django.urls import path

from apps.accounts.api import MeView

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
]
