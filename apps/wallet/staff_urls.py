"""Admin-only pages of this app, mounted under /staff/wallet/ (MFA required, non-admins get 404)."""

from django.urls import path

from apps.wallet import views, views_stripe

app_name = "staff_wallet"
urlpatterns: list = []

# Refunds of top-ups to the card.
urlpatterns += [
    path("refunds/", views_stripe.staff_refunds, name="refunds"),
    path("refunds/topup/<int:topup_id>/", views_stripe.staff_refund_new, name="refund_new"),
    path("stripe/panel/", views_stripe.staff_stripe_panel, name="stripe_panel"),
]

# The ledger: check status, any user's ledger (read-only), adjustments.
urlpatterns += [
    path("", views.staff_index, name="index"),
    path("ledger-check/run/", views.staff_ledger_check_run, name="ledger_check_run"),
    path("ledger-check/panel/", views.staff_ledger_check_panel, name="ledger_check_panel"),
    path("users/<int:user_id>/", views.staff_user_ledger, name="user_ledger"),
    path("users/<int:user_id>/freeze/", views.staff_wallet_freeze, name="wallet_freeze"),
    path("adjustments/new/", views.staff_adjustment_new, name="adjustment_new"),
]
