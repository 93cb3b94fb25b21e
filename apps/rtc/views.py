from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.core.exceptions import DomainError
from apps.core.headers import media_capture_allowed
from apps.core.permissions import staff_required

from . import selectors
from .diagnostics import DIAGNOSTICS_USE, diagnostics_object_id
from .forms import TestRoomForm
from .services import ncs_event_record, ncs_signature_valid

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def ncs_webhook(request: HttpRequest) -> JsonResponse:
    """Agora Notification Center callbacks. Nothing is stored unless the signature matches."""
    if not selectors.ncs_enabled():
        return JsonResponse({"detail": "Agora notifications are not configured on this server."}, status=503)
    body = request.body
    if not ncs_signature_valid(
        body=body,
        signature_v2=request.headers.get("Agora-Signature-V2"),
        signature_v1=request.headers.get("Agora-Signature"),
    ):
        logger.warning("ncs signature rejected")
        return JsonResponse({"detail": "Invalid signature."}, status=401)
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError
        event, created = ncs_event_record(payload=payload)
    except (ValueError, DomainError):
        return JsonResponse({"detail": "Not an Agora notification."}, status=400)
    return JsonResponse({"status": "ok", "duplicate": not created, "outcome": event.outcome})


@staff_required
@require_GET
def staff_status(request: HttpRequest) -> HttpResponse:
    context = {
        "status": selectors.integration_status(),
        "ncs_url": request.build_absolute_uri("/rtc/ncs/"),
        "form": TestRoomForm(),
        "grants": selectors.rtc_token_grant_list_recent(),
        "ncs_events": selectors.ncs_event_list_recent(),
        "signals": selectors.presence_signal_list_recent(),
    }
    return render(request, "rtc/staff/status.html", context)


@media_capture_allowed
@staff_required
@require_GET
def staff_test_room(request: HttpRequest) -> HttpResponse:
    form = TestRoomForm(request.GET)
    if not form.is_valid():
        return render(request, "rtc/staff/test_room.html", {"form": form, "room": None}, status=400)
    modality, label = form.cleaned_data["modality"], form.cleaned_data["label"]
    room = selectors.rtc_room_context(
        request=request,
        use=DIAGNOSTICS_USE,
        object_id=diagnostics_object_id(modality=modality, label=label),
        modality=modality,
        title=f"Test room “{label}”",
    )
    return render(request, "rtc/staff/test_room.html", {"form": form, "room": room})
