from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("search/", views.search, name="search"),
    path("unread/", views.unread_badge, name="unread_badge"),
    path("new/", views.find_reader, name="find_reader"),
    path("new/<int:reader_pk>/", views.start, name="start"),
    path("<int:pk>/", views.conversation, name="conversation"),
    path("<int:pk>/older/", views.older, name="older"),
    path("<int:pk>/new-messages/", views.poll, name="poll"),
    path("<int:pk>/block/", views.block, name="block"),
    path("m/<int:message_pk>/unlock/", views.unlock, name="unlock"),
]
