"""Admin-only pages of this app, mounted under /staff/moderation/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_moderation"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("<int:pk>/", staff_views.report_detail, name="report_detail"),
    path("content/<str:type_key>/<int:object_id>/", staff_views.content, name="content"),
]
