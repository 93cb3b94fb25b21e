from django.urls import path

from . import views

app_name = "payouts"
urlpatterns = [
    path("", views.home, name="home"),
    path("panel/", views.dashboard_panel, name="dashboard_panel"),
    path("onboard/", views.onboard, name="onboard"),
    path("onboard/return/", views.onboard_return, name="onboard_return"),
    path("onboard/refresh/", views.onboard_refresh, name="onboard_refresh"),
    path("request/", views.request_payout, name="request"),
    path("stripe/connect-webhook/", views.stripe_connect_webhook, name="stripe_connect_webhook"),
]
