from django.urls import path

from . import views

app_name = "readings"
urlpatterns = [
    path("", views.history, name="history"),
    path("start/<int:reader_id>/", views.start_panel, name="start_panel"),
    path("start/<int:reader_id>/request/", views.start, name="start"),
    path("reviews/<int:reader_id>/", views.reviews_panel, name="reviews_panel"),
    path("panel/incoming/", views.incoming_panel, name="incoming_panel"),
    path("panel/recent/", views.recent_panel, name="recent_panel"),
    path("<int:pk>/", views.room, name="room"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/heartbeat/", views.heartbeat, name="heartbeat"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/chat/", views.chat, name="chat"),
    path("<int:pk>/summary/", views.summary, name="summary"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/transcript/", views.transcript, name="transcript"),
    path("<int:pk>/note/", views.note, name="note"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/review/reply/", views.reply, name="reply"),
]
