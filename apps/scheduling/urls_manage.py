"""The parties' booking pages, mounted under /bookings/ (namespace ``scheduling_manage``)."""

from django.urls import path

from . import views_manage as views

app_name = "scheduling_manage"
urlpatterns = [
    path("mine/", views.client_list, name="client_list"),
    path("with-clients/", views.reader_list, name="reader_list"),
    path("panel/mine/", views.client_panel, name="client_panel"),
    path("panel/with-clients/", views.reader_panel, name="reader_panel"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
]
