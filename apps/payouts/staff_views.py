"""Admin payout pages under /staff/payouts/: the queue, the global pause, and one page per reader (revenue share,
KYC flags, hold/release). Non-admins get 404 (``staff_required``); the services audit every change."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.permissions import staff_required

from . import selectors, services
from .forms import KycFlagsForm, ReasonForm, ShareRateForm


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    context = {
        "queue": selectors.payout_queue()[:200],
        "recent": selectors.payouts_recent_settled()[:50],
        "flagged": selectors.payout_accounts_flagged()[:200],
        "control": selectors.payout_control(),
        "pause_form": ReasonForm(),
        "next_batch_at": selectors.next_batch_at(),
    }
    return render(request, "payouts/staff/queue.html", context)


@staff_required
@require_POST
@domain_errors_redirect("staff_payouts:queue")
def pause(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "resume":
        services.payouts_resume(actor=request.user, request=request)
        messages.success(request, "Payouts are running again; payouts that waited are being sent.")
        return redirect("staff_payouts:queue")
    services.payouts_pause(actor=request.user, reason=request.POST.get("reason", ""), request=request)
    messages.success(request, "All payouts are paused.")
    return redirect("staff_payouts:queue")


def _reader_page(request: HttpRequest, reader_id: int, status: int = 200, **forms: object) -> HttpResponse:
    reader = selectors.reader_get_for_staff(reader_id=reader_id)
    account = selectors.payout_account_of(reader=reader)
    rate_initial = {"percent": account.share_rate * 100} if account and account.share_rate is not None else {}
    kyc_initial = {"background_check_done": account.background_check_done, "note": account.kyc_note} if account else {}
    context = {
        "reader": reader,
        "account": account,
        "standing": selectors.payout_standing(reader=reader),
        "payouts": selectors.payout_list(viewer=reader)[:50],
        "rate_form": forms.get("rate_form") or ShareRateForm(initial=rate_initial),
        "kyc_form": forms.get("kyc_form") or KycFlagsForm(initial=kyc_initial),
        "hold_form": forms.get("hold_form") or ReasonForm(),
    }
    return render(request, "payouts/staff/reader.html", context, status=status)


@staff_required
@require_GET
def reader(request: HttpRequest, reader_id: int) -> HttpResponse:
    return _reader_page(request, reader_id)


@staff_required
@require_POST
@domain_errors_redirect("staff_payouts:reader", "reader_id")
def reader_rate(request: HttpRequest, reader_id: int) -> HttpResponse:
    form = ShareRateForm(request.POST)
    if not form.is_valid():
        return _reader_page(request, reader_id, status=400, rate_form=form)
    services.payout_share_rate_set(actor=request.user, reader_id=reader_id, rate=form.rate(), request=request)
    messages.success(request, "The reader share is saved; it applies to new charges.")
    return redirect("staff_payouts:reader", reader_id=reader_id)


@staff_required
@require_POST
@domain_errors_redirect("staff_payouts:reader", "reader_id")
def reader_kyc(request: HttpRequest, reader_id: int) -> HttpResponse:
    form = KycFlagsForm(request.POST)
    if not form.is_valid():
        return _reader_page(request, reader_id, status=400, kyc_form=form)
    services.payout_kyc_flags_set(
        actor=request.user,
        reader_id=reader_id,
        background_check_done=form.cleaned_data["background_check_done"],
        note=form.cleaned_data["note"],
        request=request,
    )
    messages.success(request, "The KYC flags are saved.")
    return redirect("staff_payouts:reader", reader_id=reader_id)


@staff_required
@require_POST
@domain_errors_redirect("staff_payouts:reader", "reader_id")
def reader_hold(request: HttpRequest, reader_id: int) -> HttpResponse:
    if request.POST.get("action") == "release":
        services.payout_release(actor=request.user, reader_id=reader_id, request=request)
        messages.success(request, "Payouts to this reader are released.")
        return redirect("staff_payouts:reader", reader_id=reader_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _reader_page(request, reader_id, status=400, hold_form=form)
    services.payout_hold(actor=request.user, reader_id=reader_id, reason=form.cleaned_data["reason"], request=request)
    messages.success(request, "Payouts to this reader are on hold.")
    return redirect("staff_payouts:reader", reader_id=reader_id)


@staff_required
@require_GET
def queue_panel(request: HttpRequest) -> HttpResponse:
    """Body of the admin dashboard's "Payouts" section."""
    context = {
        "queue": selectors.payout_queue()[:5],
        "queue_count": selectors.payout_queue().count(),
        "flagged_count": selectors.payout_accounts_flagged().count(),
        "control": selectors.payout_control(),
    }
    return render(request, "payouts/staff/_queue_panel.html", context)
