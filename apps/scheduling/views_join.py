"""The booked reading's door: a page per booking with the "join" panel, the panel alone (booking pages include
it and it refreshes itself until joining opens), and the join itself, which sends the party into the room.

Every view goes through ``selectors_join``: anyone but the booking's two parties gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import domain_errors_redirect

from .selectors_join import booking_join_state
from .services.attendance import booking_join


@login_required
@require_GET
def page(request: HttpRequest, pk: int) -> HttpResponse:
    state = booking_join_state(viewer=request.user, booking_id=pk)
    return render(request, "scheduling/join/page.html", {"join": state, "booking": state.booking})


@login_required
@require_GET
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    state = booking_join_state(viewer=request.user, booking_id=pk)
    return render(request, "scheduling/join/_panel.html", {"join": state, "booking": state.booking})


@login_required
@require_POST
@domain_errors_redirect("scheduling_join:page", "pk")
def join(request: HttpRequest, pk: int) -> HttpResponse:
    result = booking_join(booking_id=pk, user=request.user)
    if result.url is None:
        messages.info(request, result.message)
        return redirect("scheduling_join:page", pk=pk)
    return redirect(result.url)
