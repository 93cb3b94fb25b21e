"""The gift catalog for admins, under /staff/live/ (MFA required; anyone else: 404)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from apps.core.permissions import staff_required
from apps.core.staff import staff_form_page

from . import selectors
from .forms import GiftKindForm
from .services.catalog import gift_kind_create, gift_kind_update


@staff_required
@require_http_methods(["GET", "POST"])
def gifts(request: HttpRequest) -> HttpResponse:
    return staff_form_page(
        request,
        GiftKindForm(request.POST or None),
        save=lambda data: gift_kind_create(actor=request.user, **data),
        message=lambda created: f"{created.name} is in the catalog.",
        success_url="staff_live:gifts",
        template="live/staff/gifts.html",
        context={"gift_kinds": selectors.gift_kind_list_for_admin(viewer=request.user)},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def gift_edit(request: HttpRequest, pk: int) -> HttpResponse:
    gift_kind = selectors.gift_kind_get_for_admin(viewer=request.user, gift_kind_id=pk)
    initial = {
        "name": gift_kind.name,
        "price_amount": gift_kind.price_amount,
        "animation": gift_kind.animation,
        "position": gift_kind.position,
        "is_active": gift_kind.is_active,
    }
    return staff_form_page(
        request,
        GiftKindForm(request.POST or None, initial=initial),
        save=lambda data: gift_kind_update(actor=request.user, gift_kind_id=pk, **data),
        message="Gift saved. Gifts already sent keep their price and animation.",
        success_url="staff_live:gifts",
        template="live/staff/gift_edit.html",
        context={"gift_kind": gift_kind},
    )
