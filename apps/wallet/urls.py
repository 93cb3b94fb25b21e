from django.urls import path

from apps.wallet import views, views_stripe

app_name = "wallet"
urlpatterns: list = []

# Card top-ups through Stripe Checkout, and Stripe's webhook endpoint.
urlpatterns += [
    path("topup/", views_stripe.topup, name="topup"),
    path("topup/success/", views_stripe.topup_success, name="topup_success"),
    path("topup/cancel/", views_stripe.topup_cancel, name="topup_cancel"),
    path("stripe/webhook/", views_stripe.stripe_webhook, name="stripe_webhook"),
]

# The wallet: balance, history, one transaction, and the dashboard panel.
urlpatterns += [
    path("", views.home, name="home"),
    path("transactions/<int:transaction_id>/", views.transaction_detail, name="transaction_detail"),
    path("panel/", views.dashboard_panel, name="dashboard_panel"),
    path("earnings/panel/", views.earnings_panel, name="earnings_panel"),
]
