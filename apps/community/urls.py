from django.urls import path

from . import views

app_name = "community"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("f/<slug:slug>/", views.category, name="category"),
    path("f/<slug:slug>/new/", views.thread_new, name="thread_new"),
    path("t/<int:pk>/", views.thread, name="thread"),
    path("t/<int:pk>/reply/", views.reply, name="reply"),
    path("t/<int:pk>/follow/", views.follow, name="follow"),
    path("t/<int:pk>/moderate/", views.moderate, name="moderate"),
    path("p/<int:pk>/", views.post, name="post"),
    path("p/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:pk>/history/", views.post_history, name="post_history"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
]
