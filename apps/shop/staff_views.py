"""The shop for admins, under /staff/shop/: products with their sync status, orders, shipping and refunds."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.integrations import stripe_enabled
from apps.core.permissions import staff_required

from . import selectors
from .enums import OrderStatus, PaymentMethod
from .services.catalog import catalog_sync
from .services.orders import order_ship as order_ship_service
from .services.refunds import order_refund_request

ROWS_PER_PAGE = 50


@staff_required
@require_GET
def products(request: HttpRequest) -> HttpResponse:
    rows = selectors.product_list_for_admin(viewer=request.user)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "sync": selectors.catalog_sync_last(), "stripe_enabled": stripe_enabled()}
    return render(request, "shop/staff/products.html", context)


@staff_required
@require_POST
@domain_errors_redirect("staff_shop:products")
def products_sync(request: HttpRequest) -> HttpResponse:
    if not stripe_enabled():
        messages.error(request, "Stripe is not configured on this server, so the catalog cannot be synced.")
        return redirect("staff_shop:products")
    run = catalog_sync()
    messages.success(request, f"Synced {run.products} products and {run.prices} prices from Stripe.")
    return redirect("staff_shop:products")


@staff_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "") if request.GET.get("status") in OrderStatus.values else ""
    method = request.GET.get("method", "") if request.GET.get("method") in PaymentMethod.values else ""
    search = request.GET.get("q", "").strip()[:100]
    rows = selectors.order_list_for_admin(viewer=request.user, status=status, method=method, search=search)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "method": method,
        "search": search,
        "statuses": OrderStatus.choices,
        "methods": PaymentMethod.choices,
    }
    return render(request, "shop/staff/orders.html", context)


@staff_required
@require_GET
def order(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.order_get_for_admin(viewer=request.user, order_id=pk)
    context = {"order": found, "items": list(found.items.all()), "refunds": list(found.refunds.all())}
    return render(request, "shop/staff/order.html", context)


@staff_required
@require_POST
@domain_errors_redirect("staff_shop:order", "pk")
def order_ship(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.order_get_for_admin(viewer=request.user, order_id=pk)
    order_ship_service(
        actor=request.user,
        order_id=pk,
        carrier=request.POST.get("carrier", ""),
        tracking_number=request.POST.get("tracking_number", ""),
    )
    messages.success(request, "Shipped. The buyer has been emailed the tracking number.")
    return redirect("staff_shop:order", pk=pk)


@staff_required
@require_POST
@domain_errors_redirect("staff_shop:order", "pk")
def order_refund(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.order_get_for_admin(viewer=request.user, order_id=pk)
    refund = order_refund_request(
        actor=request.user,
        order_id=pk,
        amount=request.POST.get("amount", ""),
        reason=request.POST.get("reason", ""),
        restock=request.POST.get("restock") == "on",
    )
    messages.success(request, f"Refund of ${refund.amount} recorded.")
    return redirect("staff_shop:order", pk=pk)
