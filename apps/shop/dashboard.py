"""Dashboard section of the shop: a client's recent orders and downloads."""

from typing import Any

from django.http import HttpRequest

from apps.dashboards.sections import Section, dashboard_section_register

RECENT_ORDERS = 5


def client_orders(request: HttpRequest) -> dict[str, Any]:
    from .selectors import order_list

    return {"orders": list(order_list(viewer=request.user)[:RECENT_ORDERS])}


dashboard_section_register(
    role="client",
    order=60,
    section=Section(
        "shop-orders",
        "Shop orders and downloads",
        template="shop/_dashboard_orders.html",
        context="apps.shop.dashboard.client_orders",
    ),
)
