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


def admin_shop(request: HttpRequest) -> dict[str, Any]:
    from .selectors import order_staff_summary

    return {"summary": order_staff_summary(viewer=request.user)}


dashboard_section_register(
    role="admin",
    order=55,
    section=Section(
        "shop", "Shop", template="shop/staff/_admin_section.html", context="apps.shop.dashboard.admin_shop"
    ),
)
