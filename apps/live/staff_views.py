"""The gift catalog for admins, under /staff/live/ (MFA required; anyone else: 404)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required

from . import selectors
from .forms import GiftKindForm
from .services.catalog import gift_kind_create, gift_kind_update


@staff_required
@require_http_methods(["GET", "POST"])
def gifts(request: HttpRequest) -> HttpResponse:
    form = GiftKindForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = gift_kind_create(actor=request.user, **form.cleaned_data)
                messages.success(request, f"{created.name} is in the catalog.")
                return redirect("staff_live:gifts")
            except DomainError as error:
                form.add_error(None, error.message)
        status = 400
    context = {"gift_kinds": selectors.gift_kind_list_for_admin(viewer=request.user), "form": form}
    return render(request, "live/staff/gifts.html", context, status=status)


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
    form = GiftKindForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                gift_kind_update(actor=request.user, gift_kind_id=pk, **form.cleaned_data)
                messages.success(request, "Gift saved. Gifts already sent keep their price and animation.")
                return redirect("staff_live:gifts")
            except DomainError as error:
                form.add_error(None, error.message)
        status = 400
    return render(request, "live/staff/gift_edit.html", {"gift_kind": gift_kind, "form": form}, status=status)
