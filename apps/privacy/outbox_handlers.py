"""The privacy app's outbox messages: building an export, and the emails about exports and deletion.

Each runs at least once after the change that asked for it commits; each is idempotent."""

from django.core.cache import cache
from django.urls import reverse

from apps.core.emails import email_send, site_link
from apps.core.outbox import outbox_handler

from .constants import DELETION_CONFIRM_MAX_AGE
from .enums import DeletionStatus, ExportStatus
from .links import export_link_issue
from .models import DataExport, DeletionRequest
from .services import DELETION_CONFIRM_EMAIL, EXPORT_BUILD, EXPORT_READY_EMAIL, deletion_token, export_build

SENT_MARK_SECONDS = 14 * 24 * 3600


@outbox_handler(EXPORT_BUILD)
def export_build_run(*, export_id: int) -> None:
    export_build(export_id=export_id)


@outbox_handler(EXPORT_READY_EMAIL)
def export_ready_email_send(*, export_id: int) -> None:
    """Email the owner a download link of their ready export (valid 24 hours, bound to them)."""
    sent_key = f"privacy:export-ready-emailed:{export_id}"
    if cache.get(sent_key):
        return
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.READY or not export.user.is_active:
        return
    context = {
        "user": export.user,
        "download_url": site_link(export_link_issue(export=export, user=export.user)),
        "export_url": site_link(reverse("privacy:export")),
        "expires_at": export.expires_at,
        "action_label": "Download your data",
    }
    context["action_url"] = context["download_url"]
    email_send(
        to=[export.user.email],
        subject="Your SoulSeer data export is ready",
        template="privacy/emails/export_ready",
        context=context,
    )
    cache.set(sent_key, True, timeout=SENT_MARK_SECONDS)


@outbox_handler(DELETION_CONFIRM_EMAIL)
def deletion_confirm_email_send(*, request_id: int, asked_at: str = "") -> None:
    """Email the confirmation link of an unconfirmed deletion request (nothing once it is confirmed or cancelled),
    once per time the user asked."""
    sent_key = f"privacy:deletion-confirm-emailed:{request_id}:{asked_at}"
    if cache.get(sent_key):
        return
    deletion = DeletionRequest.objects.select_related("user").filter(pk=request_id).first()
    if deletion is None or deletion.status != DeletionStatus.PENDING:
        return
    url = reverse("privacy:delete_confirm") + "?token=" + deletion_token(deletion)
    context = {
        "user": deletion.user,
        "confirm_url": site_link(url),
        "hours": int(DELETION_CONFIRM_MAX_AGE.total_seconds() // 3600),
        "action_label": "Confirm deletion",
    }
    context["action_url"] = context["confirm_url"]
    email_send(
        to=[deletion.user.email],
        subject="Confirm the deletion of your SoulSeer account",
        template="privacy/emails/deletion_confirm",
        context=context,
    )
    cache.set(sent_key, True, timeout=SENT_MARK_SECONDS)
