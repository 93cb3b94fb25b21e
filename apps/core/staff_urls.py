"""Admin-only pages of this app, mounted under /staff/core/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_core"
urlpatterns = [
    path("audit/", staff_views.audit_log, name="audit_log"),
]
