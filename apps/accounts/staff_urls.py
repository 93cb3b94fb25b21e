"""Admin-only pages of this app, mounted under /staff/accounts/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_accounts"
urlpatterns = [
    path("applications/", staff_views.application_list, name="application_list"),
    path("applications/<int:application_id>/", staff_views.application_detail, name="application_detail"),
    path("applications/<int:application_id>/photo/", staff_views.application_photo, name="application_photo"),
    path("applications/<int:application_id>/approve/", staff_views.application_approve, name="application_approve"),
    path("applications/<int:application_id>/reject/", staff_views.application_reject, name="application_reject"),
    path("users/", staff_views.user_list, name="user_list"),
    path("users/<int:user_id>/", staff_views.user_detail, name="user_detail"),
]
