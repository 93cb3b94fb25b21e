"""The shop's rows: the catalog mirrored from Stripe, carts, orders, stock reservations and refunds."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .enums import OrderStatus, PaymentMethod, ProductKind, RefundStatus, ReservationStatus


class Product(models.Model):
    """A Stripe product as we last saw it. ``stripe_version`` orders what we learned: a state read earlier never
    replaces one read later (webhooks and the sync command in any order converge on Stripe's current state)."""

    stripe_product_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    images = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=64, blank=True, db_index=True)
    kind = models.CharField(max_length=16, choices=ProductKind.choices, default=ProductKind.DIGITAL)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="shop_products"
    )
    file_key = models.CharField(max_length=500, blank=True)
    # Units on hand, less those reserved by open checkouts (physical products; None for digital ones).
    stock = models.IntegerField(null=True, blank=True)
    # The ``stock`` metadata value last applied: a new value in Stripe is a new count on hand.
    stock_metadata = models.CharField(max_length=32, blank=True)
    default_price_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    metadata_error = models.CharField(max_length=255, blank=True)
    stripe_version = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__isnull=True) | Q(stock__gte=0), name="shop_product_stock_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name or self.stripe_product_id


class Price(models.Model):
    stripe_price_id = models.CharField(max_length=255, unique=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    unit_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="usd")
    is_one_time = models.BooleanField(default=True)
    is_active = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    stripe_version = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.stripe_price_id


class CatalogSync(models.Model):
    """One run of ``sync_stripe_catalog`` (the admins' "last sync" line)."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    products = models.PositiveIntegerField(default=0)
    prices = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Catalog sync #{self.pk}"


class CartItem(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_cart_items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="shop_cartitem_user_product_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_cartitem_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × product #{self.product_id}"


class Order(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_orders")
    status = models.CharField(max_length=24, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    # The key the checkout form carried: a double submit finds the first order instead of making a second.
    client_key = models.CharField(max_length=64)
    has_physical = models.BooleanField(default=False)
    currency = models.CharField(max_length=3, default="usd")
    subtotal_amount = models.DecimalField(max_digits=12, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    stripe_checkout_session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    promotion_code = models.CharField(max_length=255, blank=True)
    shipping_name = models.CharField(max_length=255, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    carrier = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_key"], name="shop_order_user_client_key_unique"),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="shop_order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("total_amount")),
                name="shop_order_refunded_within_total",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="shop_order_status_created")]

    def __str__(self) -> str:
        return f"Order #{self.pk}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    stripe_price_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=ProductKind.choices)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_amount = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    # What the buyer paid for this line after discounts (from Stripe's line item once paid).
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_orderitem_quantity_gte_1")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class Reservation(models.Model):
    """Stock taken from a product for an open checkout: released when the checkout expires, sold when it is paid."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reservations")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.HELD)
    expires_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="shop_reservation_order_product_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_reservation_quantity_gte_1"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="shop_reservation_status_exp")]

    def __str__(self) -> str:
        return f"Reservation #{self.pk} ({self.status})"


class OrderRefund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    restock = models.BooleanField(default=False)
    # What the refund returned to stock, {product id: units} (products whose stock is counted), and what undoing it
    # (the refund failed or came back) took back out of stock (None until then): the undo is exact and happens once.
    restocked = models.JSONField(default=dict, blank=True)
    unstocked = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="shop_orderrefund_amount_gt_0")]

    def __str__(self) -> str:
        return f"Refund #{self.pk} of order #{self.order_id}"
