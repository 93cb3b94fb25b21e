"""Admin-only pages of this app, mounted under /staff/messaging/ (MFA required, non-admins get 404)."""

from django.urls import path  # noqa: F401

app_name = "staff_messaging"
urlpatterns: list = []
