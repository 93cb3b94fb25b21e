"""Card payment pages: top-up by Stripe Checkout, its success and cancel pages, Stripe's webhook endpoint,
and the admin refund-to-card pages."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.integrations import stripe_enabled, stripe_webhooks_enabled
from apps.core.permissions import staff_required, verified_email_required
from apps.core.ratelimit import rate_limited
from apps.wallet import selectors_stripe, stripe_gateway
from apps.wallet.forms_stripe import RefundForm, TopUpConfirmForm, TopUpForm
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.refunds import refund_limit, refund_request
from apps.wallet.services.topups import topup_limits, topup_refresh, topup_start
from apps.wallet.services.webhooks import stripe_event_payload_problem, stripe_event_record


def _topup_page(request: HttpRequest, form: TopUpForm, status: int = 200) -> HttpResponse:
    low, high = topup_limits()
    context = {"form": form, "stripe_enabled": stripe_enabled(), "topup_min": low, "topup_max": high}
    return render(request, "wallet/topup.html", context, status=status)


@verified_email_required
@require_http_methods(["GET", "POST"])
@rate_limited("wallet.topup", what="top-ups")
@domain_errors_redirect("wallet:topup")
def topup(request: HttpRequest) -> HttpResponse:
    """Choose an amount (step 1) → confirm it (step 2) → redirect to Stripe Checkout."""
    if request.method == "GET" or not stripe_enabled():
        return _topup_page(request, TopUpForm())
    if "confirm" in request.POST:
        return _topup_confirmed(request)
    form = TopUpForm(request.POST)
    if not form.is_valid():
        return _topup_page(request, form, status=400)
    confirm = TopUpConfirmForm(initial={"amount": form.cleaned_data["amount"]})
    return render(request, "wallet/topup_confirm.html", {"amount": form.cleaned_data["amount"], "form": confirm})


def _topup_confirmed(request: HttpRequest) -> HttpResponse:
    form = TopUpConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That amount is not possible. Please choose again.")
        return redirect("wallet:topup")
    success_url = request.build_absolute_uri(reverse("wallet:topup_success")) + "?session_id={CHECKOUT_SESSION_ID}"
    cancel_url = request.build_absolute_uri(reverse("wallet:topup_cancel"))
    started = topup_start(
        user=request.user, amount=form.cleaned_data["amount"], success_url=success_url, cancel_url=cancel_url
    )
    return redirect(started.checkout_url)


@verified_email_required
@require_GET
def topup_success(request: HttpRequest) -> HttpResponse:
    """Back from Checkout: ask Stripe for the real state (and credit if paid; the webhook may be first)."""
    found = selectors_stripe.topup_get_for_session(viewer=request.user, session_id=request.GET.get("session_id", ""))
    found = topup_refresh(topup=found)
    context = {"topup": found, "balance": wallet_balance(user=request.user)}
    if request.htmx:
        return render(request, "wallet/partials/_topup_status.html", context)
    return render(request, "wallet/topup_success.html", context)


@verified_email_required
@require_GET
def topup_cancel(request: HttpRequest) -> HttpResponse:
    return render(request, "wallet/topup_cancel.html")


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook endpoint: verify, store once, enqueue, answer fast. Processing happens in a task."""
    if not stripe_webhooks_enabled():
        return HttpResponse("Stripe webhooks are not configured on this server.", status=503, content_type="text/plain")
    try:
        stripe_gateway.webhook_event_construct(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
        )
        payload = json.loads(request.body)
    except (stripe_gateway.SignatureVerificationError, ValueError):
        return HttpResponse("Invalid payload or signature.", status=400, content_type="text/plain")
    problem = stripe_event_payload_problem(payload)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain")
    _, created = stripe_event_record(payload=payload)
    return JsonResponse({"received": True, "duplicate": not created})


# --- admin: refunds to card -----------------------------------------------------------------------


@staff_required
@require_GET
def staff_refunds(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    context = {
        "search": search,
        "topups": selectors_stripe.topups_paid_list(search=search)[:50],
        "refunds": selectors_stripe.refunds_recent_list(),
        "failed_events": selectors_stripe.stripe_events_failed_list(),
        "reconciliation": selectors_stripe.reconciliation_last(),
        "stripe_enabled": stripe_enabled(),
    }
    return render(request, "wallet/staff/refunds.html", context)


@staff_required
@require_GET
def staff_stripe_panel(request: HttpRequest) -> HttpResponse:
    """Body of the admin dashboard's card payments section (fetched with HTMX)."""
    context = {
        "reconciliation": selectors_stripe.reconciliation_last(),
        "stripe_enabled": stripe_enabled(),
        **selectors_stripe.stripe_health_counts(),
    }
    return render(request, "wallet/staff/_stripe_panel.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_refund_new(request: HttpRequest, topup_id: int) -> HttpResponse:
    """Refund (part of) a top-up to its card: form → confirmation → request (sent to Stripe on commit)."""
    found = selectors_stripe.topup_get_admin(topup_id=topup_id)
    form = RefundForm(request.POST or None, initial={"amount": refund_limit(topup=found)})
    context = {"topup": found, "form": form, "limit": refund_limit(topup=found)}
    if request.method == "GET" or not form.is_valid():
        return render(request, "wallet/staff/refund_new.html", context, status=200 if request.method == "GET" else 400)
    if "confirm" not in request.POST:
        return render(request, "wallet/staff/refund_confirm.html", context)
    try:
        refund_request(actor=request.user, topup_id=found.pk, request=request, **form.cleaned_data)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return render(request, "wallet/staff/refund_new.html", context, status=400)
    messages.success(request, f"Refund of ${form.cleaned_data['amount']} requested; it is being sent to Stripe.")
    return redirect("staff_wallet:refunds")
