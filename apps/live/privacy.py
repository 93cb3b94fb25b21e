"""Personal data of livestreams: streams hosted, chat lines, gifts sent, tickets bought, invitations and views
(see ``apps/core/privacy.py``). Deletion waits while the user hosts a live stream. Gifts and tickets stay for the
ledger; chat lines and a host's titles and descriptions lose their text."""

from typing import Any

from django.utils import timezone

from apps.core.privacy import PersonalData, personal_data_register
from apps.notifications.services import notification_texts_remove

from .enums import EndReason, StreamState
from .models import (
    Stream,
    StreamFollowerAlert,
    StreamGift,
    StreamInvite,
    StreamMessage,
    StreamTicket,
    StreamViewer,
)

REMOVED = "[Removed when the account was deleted.]"


def _export(user: Any) -> dict[str, Any]:
    return {
        "streams_hosted": list(
            Stream.objects.filter(host=user)
            .order_by("pk")
            .values(
                "id",
                "title",
                "description",
                "visibility",
                "ticket_price_amount",
                "state",
                "scheduled_start_at",
                "started_at",
                "ended_at",
                "peak_viewers",
            )
        ),
        "chat_messages": list(
            StreamMessage.objects.filter(sender=user).order_by("pk").values("stream_id", "body", "created_at")
        ),
        "gifts_sent": list(
            StreamGift.objects.filter(sender=user)
            .order_by("pk")
            .values("stream_id", "name", "price_amount", "created_at")
        ),
        "tickets": list(
            StreamTicket.objects.filter(user=user).order_by("pk").values("stream_id", "price_amount", "created_at")
        ),
        "invitations": list(
            StreamInvite.objects.filter(user=user).order_by("pk").values("stream_id", "created_at", "revoked_at")
        ),
        "streams_watched": list(
            StreamViewer.objects.filter(user=user).order_by("pk").values("stream_id", "joined_at", "last_seen_at")
        ),
    }


def _blockers(user: Any) -> list[str]:
    reasons = []
    if Stream.objects.filter(host=user, state=StreamState.LIVE).exists():
        reasons.append("You are live right now. End your livestream first.")
    if StreamTicket.objects.filter(stream__host=user, stream__state=StreamState.SCHEDULED).exists():
        reasons.append("Tickets are sold for a livestream you have not held yet. Hold it or ask us to cancel it.")
    return reasons


def _erase(user: Any) -> None:
    StreamMessage.objects.filter(sender=user).update(body=REMOVED)
    # Followers' and invitees' notifications quoted the host's stream titles.
    notification_texts_remove(texts=Stream.objects.filter(host=user).values_list("title", flat=True), replacement="")
    Stream.objects.filter(host=user).update(title="Livestream", description="")
    Stream.objects.filter(host=user, state=StreamState.SCHEDULED).update(
        state=StreamState.ENDED, ended_at=timezone.now(), end_reason=EndReason.CANCELLED
    )
    StreamFollowerAlert.objects.filter(user=user).delete()


personal_data_register(
    PersonalData(
        key="live.streams",
        export=_export,
        erase=_erase,
        blockers=_blockers,
        models=(
            "live.Stream",
            "live.StreamInvite",
            "live.StreamTicket",
            "live.StreamGift",
            "live.StreamEvent",
            "live.StreamMessage",
            "live.StreamViewer",
            "live.StreamFollowerAlert",
        ),
    )
)
