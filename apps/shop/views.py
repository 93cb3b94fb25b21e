"""Pages of the shop: the catalog, a product, the cart, checkout and the buyer's orders."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.integrations import stripe_enabled
from apps.core.ratelimit import rate_limited

from . import selectors
from .enums import PAID_STATUSES, PaymentMethod, ProductKind
from .exceptions import ProductNotFound
from .services.cart import cart_remove, cart_set
from .services.downloads import download_link_issue
from .services.orders import order_checkout_start, order_wallet_pay

PRODUCTS_PAGE_SIZE = 24
SESSION_LINKS = "shop_download_links"
ORDERS_PAGE_SIZE = 20


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "").strip()[:64]
    search = request.GET.get("q", "").strip()[:100]
    products = selectors.product_list(category=category, search=search)
    page = Paginator(products, PRODUCTS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "categories": selectors.category_list(),
        "category": category,
        "search": search,
        "sync": selectors.catalog_sync_last() if request.user.is_staff else None,
    }
    return render(request, "shop/home.html", context)


@require_GET
def product(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "shop/product.html", {"product": selectors.product_get(product_id=pk)})


@login_required
@require_GET
def cart(request: HttpRequest) -> HttpResponse:
    lines = selectors.cart_list(viewer=request.user)
    selling = [line for line in lines if line.sale is not None]  # type: ignore[attr-defined]
    total = sum((line.sale.sale_amount * line.quantity for line in selling), 0)  # type: ignore[attr-defined]
    context = {
        "lines": lines,
        "total": total,
        "has_physical": any(line.sale.kind == ProductKind.PHYSICAL for line in selling),  # type: ignore[attr-defined]
        "has_unavailable": len(selling) != len(lines),
        "client_key": secrets.token_hex(16),
        "stripe_enabled": stripe_enabled(),
    }
    return render(request, "shop/cart.html", context)


@login_required
@require_POST
@rate_limited("shop.cart", what="cart changes")
@domain_errors_redirect("shop:cart")
def cart_add(request: HttpRequest, pk: int) -> HttpResponse:
    item = cart_set(user=request.user, product_id=pk, quantity=request.POST.get("quantity", "1"), add=True)
    messages.success(request, f"{item.product.name} is in your cart.")
    return redirect("shop:cart")


@login_required
@require_POST
@rate_limited("shop.cart", what="cart changes")
@domain_errors_redirect("shop:cart")
def cart_update(request: HttpRequest, pk: int) -> HttpResponse:
    if request.POST.get("remove"):
        if not cart_remove(user=request.user, product_id=pk):
            raise ProductNotFound("This product is not in your cart.")
        messages.success(request, "Removed from your cart.")
    else:
        cart_set(user=request.user, product_id=pk, quantity=request.POST.get("quantity", ""))
        messages.success(request, "Quantity updated.")
    return redirect("shop:cart")


@login_required
@require_POST
@rate_limited("shop.checkout", what="orders")
@domain_errors_redirect("shop:cart")
def checkout(request: HttpRequest) -> HttpResponse:
    client_key = request.POST.get("client_key", "")
    if request.POST.get("method") == PaymentMethod.WALLET:
        order = order_wallet_pay(user=request.user, client_key=client_key)
        messages.success(request, f"Order #{order.pk} is paid from your wallet.")
        return redirect("shop:order", pk=order.pk)
    order = order_checkout_start(
        user=request.user,
        client_key=client_key,
        success_url=request.build_absolute_uri(reverse("shop:orders")) + "?checkout=done",
        cancel_url=request.build_absolute_uri(reverse("shop:cart")),
    )
    if order.status != "pending" or not order.checkout_url:
        return redirect("shop:order", pk=order.pk)
    return redirect(order.checkout_url)


@login_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.order_list(viewer=request.user), ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "shop/orders.html", {"page": page, "returned": request.GET.get("checkout") == "done"})


@login_required
@require_GET
def order(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.order_get(viewer=request.user, order_id=pk)
    now = timezone.now()
    fresh = {
        int(item_id): {"url": link["url"], "expires_at": datetime.fromisoformat(link["expires_at"])}
        for item_id, link in request.session.get(SESSION_LINKS, {}).items()
        if datetime.fromisoformat(link["expires_at"]) > now
    }
    items = list(found.items.all())
    for item in items:
        item.fresh_link = fresh.get(item.pk)  # type: ignore[attr-defined]
    context = {"order": found, "items": items, "downloadable": [str(s) for s in PAID_STATUSES]}
    return render(request, "shop/order.html", context)


@login_required
@require_POST
@rate_limited("shop.download_link", what="download links")
def download_link(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """A fresh link to the item's file, bound to the buyer; the order page shows it (kept in the session only, as
    the link's token is stored nowhere else)."""
    url, expires_at = download_link_issue(viewer=request.user, order_id=pk, item_id=item_pk)
    links = request.session.get(SESSION_LINKS, {})
    links[str(item_pk)] = {"url": url, "expires_at": expires_at.isoformat()}
    request.session[SESSION_LINKS] = links
    messages.success(request, "Your download link is ready.")
    return redirect("shop:order", pk=pk)
