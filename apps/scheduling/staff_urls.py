"""Admin-only pages of scheduled readings, mounted under /staff/scheduling/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views as views

app_name = "staff_scheduling"
urlpatterns = [
    path("", views.booking_list, name="booking_list"),
    path("no-shows/", views.no_shows, name="no_shows"),
    path("<int:pk>/", views.booking_detail, name="booking_detail"),
    path("<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
]
