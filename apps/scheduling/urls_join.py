from django.urls import path

from . import views_join

app_name = "scheduling_join"
urlpatterns = [
    path("join/<int:pk>/", views_join.page, name="page"),
    path("join/<int:pk>/panel/", views_join.panel, name="panel"),
    path("join/<int:pk>/enter/", views_join.join, name="join"),
]
