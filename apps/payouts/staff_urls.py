"""Admin-only pages of this app, mounted under /staff/payouts/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_payouts"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("pause/", staff_views.pause, name="pause"),
    path("panel/", staff_views.queue_panel, name="queue_panel"),
    path("readers/<int:reader_id>/", staff_views.reader, name="reader"),
    path("readers/<int:reader_id>/rate/", staff_views.reader_rate, name="reader_rate"),
    path("readers/<int:reader_id>/kyc/", staff_views.reader_kyc, name="reader_kyc"),
    path("readers/<int:reader_id>/hold/", staff_views.reader_hold, name="reader_hold"),
]
