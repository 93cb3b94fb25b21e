"""Admin-only pages of this app, mounted under /staff/rtc/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import views

app_name = "staff_rtc"
urlpatterns = [
    path("", views.staff_status, name="status"),
    path("room/", views.staff_test_room, name="test-room"),
]
