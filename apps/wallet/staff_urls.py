"""Admin-only pages of this app, mounted under /staff/wallet/ (MFA required, non-admins get 404)."""

from django.urls import path

from apps.wallet import views_stripe

app_name = "staff_wallet"
urlpatterns: list = []

# Refunds of top-ups to the card.
urlpatterns += [
    path("refunds/", views_stripe.staff_refunds, name="refunds"),
    path("refunds/topup/<int:topup_id>/", views_stripe.staff_refund_new, name="refund_new"),
]
