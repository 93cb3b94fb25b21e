from django.urls import path

from . import views

app_name = "live"
urlpatterns = [
    path("", views.home, name="home"),
    path("studio/", views.studio, name="studio"),
    path("studio/panel/", views.studio_panel, name="studio_panel"),
    path("readers/<int:reader_id>/panel/", views.profile_panel, name="profile_panel"),
    path("<int:pk>/", views.stream, name="stream"),
    path("<int:pk>/ticket/", views.ticket, name="ticket"),
    path("<int:pk>/events/", views.events, name="events"),
    path("<int:pk>/chat/", views.chat, name="chat"),
    path("<int:pk>/gift/", views.gift, name="gift"),
    path("<int:pk>/gift/top-up/", views.gift_topup, name="gift_topup"),
    path("<int:pk>/gift/top-up/return/", views.gift_topup_return, name="gift_topup_return"),
    path("<int:pk>/heartbeat/", views.heartbeat, name="heartbeat"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/host/", views.host, name="host"),
    path("<int:pk>/host/panel/", views.host_panel, name="host_panel"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/invites/", views.invite, name="invite"),
    path("<int:pk>/invites/<int:invite_pk>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("<int:pk>/viewers/<int:user_pk>/remove/", views.viewer_remove, name="viewer_remove"),
]
