"""Admin-only pages of this app, mounted under /staff/rtc/ (MFA required, non-admins get 404)."""

from django.urls import path  # noqa: F401

app_name = "staff_rtc"
urlpatterns: list = []
