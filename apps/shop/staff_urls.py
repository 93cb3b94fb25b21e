"""Admin-only pages of the shop, mounted under /staff/shop/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_shop"
urlpatterns = [
    path("products/", staff_views.products, name="products"),
    path("products/sync/", staff_views.products_sync, name="products_sync"),
    path("orders/", staff_views.orders, name="orders"),
    path("orders/<int:pk>/", staff_views.order, name="order"),
    path("orders/<int:pk>/ship/", staff_views.order_ship, name="order_ship"),
    path("orders/<int:pk>/refund/", staff_views.order_refund, name="order_refund"),
]
