"""Reader payout pages: where they stand, Stripe Connect onboarding, on-demand payouts; and the Connect webhook."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.integrations import stripe_enabled
from apps.core.permissions import reader_required, verified_email_required
from apps.core.ratelimit import rate_limited
from apps.wallet import stripe_gateway
from apps.wallet.services.webhooks import stripe_event_payload_problem, stripe_event_record

from . import selectors, services


def _context(request: HttpRequest) -> dict:
    return {
        "standing": selectors.payout_standing(reader=request.user),
        "next_batch_at": selectors.next_batch_at(),
        "minimum": selectors.request_minimum(),
        "stripe_enabled": stripe_enabled(),
    }


@reader_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {**_context(request), "payouts": selectors.payout_list(viewer=request.user)[:50]}
    return render(request, "payouts/home.html", context)


@reader_required
@require_GET
def dashboard_panel(request: HttpRequest) -> HttpResponse:
    context = {**_context(request), "payouts": selectors.payout_list(viewer=request.user)[:3]}
    return render(request, "payouts/partials/_dashboard_panel.html", context)


def _onboarding_redirect(request: HttpRequest) -> HttpResponse:
    if not stripe_enabled():
        messages.error(request, "Payouts need Stripe, which is not configured on this server yet.")
        return redirect("payouts:home")
    try:
        url = services.connect_onboarding_link(
            reader=request.user,
            return_url=request.build_absolute_uri(reverse("payouts:onboard_return")),
            refresh_url=request.build_absolute_uri(reverse("payouts:onboard_refresh")),
        )
    except stripe_gateway.StripeError:
        messages.error(request, "Stripe could not be reached just now. Please try again in a minute.")
        return redirect("payouts:home")
    return redirect(url)


@reader_required
@verified_email_required
@require_POST
@rate_limited("payouts.onboard", what="payout account set-ups")
@domain_errors_redirect("payouts:home")
def onboard(request: HttpRequest) -> HttpResponse:
    return _onboarding_redirect(request)


@reader_required
@require_GET
@domain_errors_redirect("payouts:home")
def onboard_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe sends the reader here when their onboarding link expired: make a fresh one."""
    return _onboarding_redirect(request)


@reader_required
@require_GET
def onboard_return(request: HttpRequest) -> HttpResponse:
    """Back from Stripe: read the account again (the webhook may not have arrived yet) and say where they stand."""
    try:
        account = services.connect_account_refresh(reader=request.user)
    except stripe_gateway.StripeError:
        messages.warning(request, "We could not check your Stripe account just now; this page updates shortly.")
        return redirect("payouts:home")
    if account is not None and account.stripe_verified:
        messages.success(request, "Your payout account is set up with Stripe.")
    else:
        messages.info(request, "Thanks. Stripe still needs a few details; see below.")
    return redirect("payouts:home")


@reader_required
@verified_email_required
@require_POST
@rate_limited("payouts.request", what="payout requests")
@domain_errors_redirect("payouts:home")
def request_payout(request: HttpRequest) -> HttpResponse:
    payout = services.payout_request(reader=request.user, request=request)
    messages.success(request, f"${payout.amount} is on its way to your Stripe account.")
    return redirect("payouts:home")


@csrf_exempt
@require_POST
def stripe_connect_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's Connect webhook endpoint (events about readers' accounts): its own signing secret, then the same
    store-once-and-process pipeline as the platform endpoint."""
    secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET
    if not (settings.STRIPE_SECRET_KEY and secret):
        return HttpResponse(
            "Stripe Connect webhooks are not configured on this server.", status=503, content_type="text/plain"
        )
    try:
        stripe_gateway.webhook_event_construct(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", ""), secret=secret
        )
        payload = json.loads(request.body)
    except (stripe_gateway.SignatureVerificationError, ValueError):
        return HttpResponse("Invalid payload or signature.", status=400, content_type="text/plain")
    problem = stripe_event_payload_problem(payload)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain")
    _, created = stripe_event_record(payload=payload)
    return JsonResponse({"received": True, "duplicate": not created})
