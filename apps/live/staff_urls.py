"""Admin-only pages of livestreams, mounted under /staff/live/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_live"
urlpatterns = [
    path("gifts/", staff_views.gifts, name="gifts"),
    path("gifts/<int:pk>/", staff_views.gift_edit, name="gift_edit"),
]
