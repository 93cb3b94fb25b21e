"""The shop's rows in the Django admin, all read-only.

The catalog is a mirror of Stripe (changed there, then by webhooks and ``sync_stripe_catalog``); carts, orders,
reservations and refunds change only through the shop's services, which move stock, post to the wallet ledger and
call Stripe. Orders are shipped and refunded on the staff pages (/staff/shop/), which each order here links to.
"""

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdmin, ReadOnlyInline, user_email_column

from .models import CartItem, CatalogSync, Order, OrderItem, OrderRefund, Price, Product, Reservation


class PriceInline(ReadOnlyInline):
    model = Price
    fields = ("stripe_price_id", "unit_amount", "currency", "is_one_time", "is_active", "is_deleted", "synced_at")


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    """Read-only: Stripe is where products are edited; a change here would be undone by the next sync."""

    list_display = (
        "name",
        "stripe_product_id",
        "kind",
        "category",
        user_email_column("creator", "Creator"),
        "stock",
        "is_active",
        "is_deleted",
        "synced_at",
    )
    list_filter = ("kind", "is_active", "is_deleted", "category")
    search_fields = ("name", "stripe_product_id", "category", "creator__email")
    date_hierarchy = "created_at"
    list_select_related = ("creator",)
    inlines = [PriceInline]


@admin.register(Price)
class PriceAdmin(ReadOnlyAdmin):
    """Read-only: prices are mirrored from Stripe like their products."""

    list_display = ("stripe_price_id", "product", "unit_amount", "currency", "is_one_time", "is_active", "is_deleted")
    list_filter = ("is_active", "is_deleted", "is_one_time", "currency")
    search_fields = ("stripe_price_id", "product__name", "product__stripe_product_id")
    list_select_related = ("product",)


@admin.register(CatalogSync)
class CatalogSyncAdmin(ReadOnlyAdmin):
    """Read-only: one row per run of ``sync_stripe_catalog``, written by the run itself."""

    list_display = ("__str__", "started_at", "finished_at", "products", "prices", "error")
    search_fields = ("error",)
    date_hierarchy = "started_at"


@admin.register(CartItem)
class CartItemAdmin(ReadOnlyAdmin):
    """Read-only: a buyer's cart is theirs; the cart service checks each product and its stock."""

    list_display = ("id", user_email_column("user", "Buyer"), "product", "quantity", "added_at")
    search_fields = ("user__email", "product__name", "product__stripe_product_id")
    date_hierarchy = "added_at"
    list_select_related = ("user", "product")


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ("name", "product", "kind", "creator", "unit_amount", "quantity", "total_amount")
    list_select_related = ("product", "creator")


class ReservationInline(ReadOnlyInline):
    model = Reservation
    fields = ("product", "quantity", "status", "expires_at", "released_at", "created_at")
    list_select_related = ("product",)


class OrderRefundInline(ReadOnlyInline):
    model = OrderRefund
    fields = ("amount", "restock", "reason", "status", "stripe_refund_id", "error", "requested_by", "created_at")
    list_select_related = ("requested_by",)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Read-only: money. An order is paid, shipped and refunded only through the shop's services (ledger postings,
    Stripe, audit); the staff order page is where admins ship and refund it."""

    list_display = (
        "__str__",
        user_email_column("user", "Buyer"),
        "status",
        "payment_method",
        "total_amount",
        "refunded_amount",
        "currency",
        "has_physical",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "payment_method", "has_physical")
    search_fields = (
        "id__exact",
        "user__email",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
        "tracking_number",
        "shipping_name",
    )
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = ("staff_page",)
    inlines = [OrderItemInline, ReservationInline, OrderRefundInline]

    @admin.display(description="Staff page")
    def staff_page(self, obj: Order) -> Any:
        return format_html(
            '<a href="{}">Ship or refund on the staff page</a>', reverse("staff_shop:order", args=[obj.pk])
        )


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyAdmin):
    """Read-only: an order's lines are fixed when its checkout starts, and paid amounts come from Stripe."""

    list_display = (
        "__str__",
        "order",
        "product",
        "kind",
        user_email_column("creator", "Creator"),
        "unit_amount",
        "quantity",
        "total_amount",
    )
    list_filter = ("kind",)
    search_fields = ("order__id__exact", "name", "stripe_price_id", "order__user__email", "creator__email")
    date_hierarchy = "order__created_at"
    list_select_related = ("order", "product", "creator")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    """Read-only: stock held for an open checkout; taking, selling and releasing it moves the product's stock."""

    list_display = ("__str__", "order", "product", "quantity", "status", "expires_at", "released_at", "created_at")
    list_filter = ("status",)
    search_fields = ("order__id__exact", "product__name", "order__user__email")
    date_hierarchy = "created_at"
    list_select_related = ("order", "product")


@admin.register(OrderRefund)
class OrderRefundAdmin(ReadOnlyAdmin):
    """Read-only: money. Refunds are asked for on the staff order page and carried out with Stripe and the ledger."""

    list_display = (
        "__str__",
        "order",
        "amount",
        "status",
        "restock",
        user_email_column("requested_by", "Requested by"),
        "created_at",
    )
    list_filter = ("status", "restock")
    search_fields = ("order__id__exact", "reason", "stripe_refund_id", "order__user__email")
    date_hierarchy = "created_at"
    list_select_related = ("order", "requested_by")
