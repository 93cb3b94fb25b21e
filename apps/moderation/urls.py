from django.urls import path

from . import queue_views, views

app_name = "moderation"
urlpatterns = [
    path("report/<str:type_key>/<int:object_id>/", views.report, name="report"),
    # The moderators' pages (admins and granted moderators; 404 to everyone else).
    path("queue/", queue_views.queue, name="queue"),
    path("queue/reports/<int:pk>/", queue_views.report_detail, name="report_detail"),
    path("queue/content/<str:type_key>/<int:object_id>/", queue_views.content, name="content"),
    path("queue/users/<int:user_id>/", queue_views.user, name="user"),
]
