from django.urls import path

from . import views

app_name = "readers"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/favorite/", views.favorite, name="favorite"),
    path("<int:pk>/online-alert/", views.online_alert, name="online_alert"),
    path("presence/", views.presence, name="presence"),
    path("favorites/", views.favorites, name="favorites"),
    path("favorites/panel/", views.favorites_panel, name="favorites_panel"),
    path("me/", views.dashboard_profile, name="dashboard_profile"),
    path("me/panel/", views.dashboard_profile_panel, name="dashboard_profile_panel"),
    path("me/presence/", views.presence_set, name="presence_set"),
    path("me/heartbeat/", views.presence_heartbeat, name="presence_heartbeat"),
    path("me/publish/", views.publish, name="publish"),
]
