from django.urls import path

from . import views

app_name = "rtc"
urlpatterns = [
    path("ncs/", views.ncs_webhook, name="ncs-webhook"),
]
