"""Admin-only pages of this app, mounted under /staff/accounts/ (MFA required, non-admins get 404)."""

from django.urls import path  # noqa: F401

app_name = "staff_accounts"
urlpatterns: list = []
