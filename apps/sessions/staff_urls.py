"""Admin-only pages of this app, mounted under /staff/sessions/ (MFA required, non-admins get 404)."""

from django.urls import path  # noqa: F401

app_name = "staff_livesessions"
urlpatterns: list = []
