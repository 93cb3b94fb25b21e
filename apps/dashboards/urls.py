from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("client/", views.client, name="client"),
    path("reader/", views.reader, name="reader"),
    path("admin/", views.admin, name="admin"),
]
