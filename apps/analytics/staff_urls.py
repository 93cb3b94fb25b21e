"""Admin-only pages of this app, mounted under /staff/analytics/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import views

app_name = "staff_analytics"
urlpatterns = [
    path("", views.staff_page, name="index"),
    path("export.csv", views.staff_export, name="export"),
]
