from django.urls import path

from . import theme_views, views

app_name = "accounts"
urlpatterns = [
    path("theme/", theme_views.theme_set, name="theme"),
    path("timezone/", theme_views.timezone_detect, name="timezone_detect"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/avatar/", views.avatar_view, name="avatar"),
    path("reader-application/", views.reader_application_view, name="reader_application"),
    path(
        "reader-application/<int:application_id>/photo/",
        views.reader_application_photo_view,
        name="reader_application_photo",
    ),
]
