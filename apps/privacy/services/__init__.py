"""Data exports and account deletion (SPEC §12, docs/PRIVACY.md).

What each app exports, which files are the user's, what blocks a deletion and how each app erases its part come
from the personal data registry (``apps.core.privacy``); these services run the requests around it.
"""

import json
import logging
import secrets
import shutil
import tempfile
import zipfile
from datetime import datetime
from functools import partial
from typing import Any

from django.core import signing
from django.core.files import File
from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.locks import user_lock
from apps.accounts.models import User
from apps.core.exceptions import InvalidInputError, InvalidStateError
from apps.core.outbox import outbox_enqueue
from apps.core.privacy import (
    FileRef,
    personal_data_blockers,
    personal_data_erase,
    personal_data_export,
    personal_data_files,
)
from apps.core.ratelimit import rate_limit_scope_consume
from apps.core.services import audit_log_record
from apps.notifications.registry import notification_kind_register
from apps.notifications.services import notify
from apps.wallet.selectors import wallet_balance

from ..constants import (
    DELETION_CONFIRM_MAX_AGE,
    DELETION_CONFIRM_SALT,
    DELETION_GRACE,
    DELETION_RATE_SCOPE,
    EXPORT_KEEP,
    EXPORT_RATE_SCOPE,
    EXPORT_STALE_AFTER,
    EXPORT_STORAGE,
)
from ..enums import ACTIVE_EXPORT_STATUSES, OPEN_DELETION_STATUSES, DeletionStatus, ExportStatus
from ..exceptions import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    DeletionBlocked,
    ExportInProgress,
    NoDeletionRequest,
    WrongPassword,
)
from ..links import export_link_issue
from ..locks import deletion_lock, export_lock
from ..models import DataExport, DeletionRequest
from ..selectors import export_ready_get

logger = logging.getLogger(__name__)

EXPORT_BUILD = "privacy.export_build"
EXPORT_READY_EMAIL = "privacy.export_ready_email"
DELETION_CONFIRM_EMAIL = "privacy.deletion_confirm_email"

EXPORT_READY = notification_kind_register("account.export_ready", label="Your data export is ready")
DELETION_WAITING = notification_kind_register("account.deletion_waiting", label="Your account deletion is waiting")

README = """\
Your data from SoulSeer
=======================

data.json  everything SoulSeer holds about you, one section per part of the site (your profile, readings with
           their summaries and transcripts, bookings, messages, livestreams, your wallet's transactions and
           postings, support requests, notifications, and the audit entries about your account).
files/     the files you uploaded (profile picture, reader photos, application photo).

Times are in UTC (ISO 8601). Amounts are in US dollars.
"""


# --- Export ------------------------------------------------------------------------------------------------


def export_request(*, user: Any, request: HttpRequest | None = None) -> DataExport:
    """Ask for a copy of the user's data. One at a time (a ready one is replaced), a few a day; audited.

    The build runs as an outbox message recorded with the request, so a broker outage delays it but never
    loses it."""
    if DataExport.objects.filter(user=user, status__in=sorted(ACTIVE_EXPORT_STATUSES)).exists():
        raise ExportInProgress("Your export is already being prepared. We will email you when it is ready.")
    rate_limit_scope_consume(
        scope=EXPORT_RATE_SCOPE,
        subject_id=user.pk,
        message=lambda limit: f"You can ask for {limit.limit} exports {limit.period}. Please try again later.",
    )
    with transaction.atomic(durable=True):
        user_lock(user_id=user.pk)
        if DataExport.objects.filter(user=user, status__in=sorted(ACTIVE_EXPORT_STATUSES)).exists():
            raise ExportInProgress("Your export is already being prepared. We will email you when it is ready.")
        for previous in DataExport.objects.filter(user=user, status=ExportStatus.READY):
            _export_expire(previous)
        export = DataExport.objects.create(user=user)
        outbox_enqueue(name=EXPORT_BUILD, kwargs={"export_id": export.pk}, dedupe_key=f"privacy:export:{export.pk}")
        audit_log_record(actor=user, action="privacy.export_requested", target=export, request=request)
    return export


def _file_delete(alias: str, key: str) -> None:
    try:
        storages[alias].delete(key)
    except Exception:  # a file already gone, or the storage down: nothing personal is left in the database
        logger.warning("privacy: could not delete %s from storage %s", key, alias, exc_info=True)


def _export_expire(export: DataExport) -> None:
    """Inner helper: the caller holds the transaction. The file goes once the change is committed."""
    if export.storage_key:
        transaction.on_commit(partial(_file_delete, EXPORT_STORAGE, export.storage_key))
    DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.EXPIRED, storage_key="")


def _zip_write(archive: zipfile.ZipFile, data: dict[str, Any], refs: list[FileRef]) -> list[str]:
    missing = []
    for alias, key, arcname in refs:
        try:
            with storages[alias].open(key, "rb") as source, archive.open(f"files/{arcname}", "w") as target:
                shutil.copyfileobj(source, target)
        except (FileNotFoundError, OSError):
            missing.append(arcname)
    data["missing_files"] = missing
    archive.writestr("README.txt", README)
    archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
    return missing


def export_build(*, export_id: int, now: datetime | None = None) -> DataExport | None:
    """Build the ZIP of one requested export and tell its owner (idempotent: a finished export is left alone;
    one whose worker died while building is built again)."""
    with transaction.atomic(durable=True):
        export = export_lock(export_id=export_id)
        if export is None or export.status not in ACTIVE_EXPORT_STATUSES:
            return export
        export.status = ExportStatus.BUILDING
        export.save(update_fields=["status"])
    user = User.objects.get(pk=export.user_id)
    now = now or timezone.now()
    data = {
        "format": 1,
        "generated_at": now,
        "account_id": user.pk,
        "sections": personal_data_export(user),
    }
    refs = personal_data_files(user)
    key = f"privacy/exports/{user.pk}/{export.pk}-{secrets.token_hex(16)}.zip"
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            missing = _zip_write(archive, data, refs)
        size = handle.tell()
        handle.seek(0)
        saved = storages[EXPORT_STORAGE].save(key, File(handle, name=key))
    with transaction.atomic(durable=True):
        export = export_lock(export_id=export_id)
        if export is None or export.status != ExportStatus.BUILDING:
            transaction.on_commit(partial(_file_delete, EXPORT_STORAGE, saved))
            return export
        export.status = ExportStatus.READY
        export.storage_key = saved
        export.size_bytes = size
        export.ready_at = now
        export.expires_at = now + EXPORT_KEEP
        export.save(update_fields=["status", "storage_key", "size_bytes", "ready_at", "expires_at"])
        notify(
            user=user,
            kind=EXPORT_READY,
            title="Your data export is ready",
            body="Download it within 24 hours from your export page; you can get a new link there until it expires.",
            url=reverse("privacy:export_download"),
        )
        outbox_enqueue(
            name=EXPORT_READY_EMAIL, kwargs={"export_id": export.pk}, dedupe_key=f"privacy:export:{export.pk}:email"
        )
        audit_log_record(
            actor=None,
            action="privacy.export_ready",
            target=export,
            details={"size_bytes": size, "files": len(refs) - len(missing), "missing_files": len(missing)},
        )
    return export


def export_download_link(*, user: Any) -> str:
    """A fresh download link (valid 24 hours, bound to ``user``) to their ready export; ``ExportNotAvailable``
    when they have none whose file is still kept. Opening it is logged by ``apps.core.files``."""
    export = export_ready_get(viewer=user)
    with transaction.atomic(durable=True):
        return export_link_issue(export=export, user=user)


def exports_expire(*, now: datetime | None = None) -> int:
    """The beat job: delete the files of exports past their expiry, and give up on exports that never finished.
    Returns how many exports changed."""
    now = now or timezone.now()
    changed = 0
    due = DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now).values_list("pk", flat=True)
    for export_id in list(due[:500]):
        with transaction.atomic(durable=True):
            export = export_lock(export_id=export_id)
            if export is not None and export.status == ExportStatus.READY:
                _export_expire(export)
                changed += 1
    changed += DataExport.objects.filter(
        status__in=sorted(ACTIVE_EXPORT_STATUSES), requested_at__lte=now - EXPORT_STALE_AFTER
    ).update(status=ExportStatus.FAILED, error="It could not be prepared. Please ask again.")
    return changed


# --- Deletion ------------------------------------------------------------------------------------------------


def deletion_token(deletion: DeletionRequest) -> str:
    """The signed, timestamped token of the emailed confirmation link (valid DELETION_CONFIRM_MAX_AGE)."""
    return signing.dumps({"r": deletion.pk, "u": deletion.user_id}, salt=DELETION_CONFIRM_SALT)


def deletion_token_request(*, user: Any, token: str) -> DeletionRequest:
    """The pending or scheduled request a confirmation token names, if it is the viewer's and still valid."""
    try:
        payload = signing.loads(token, salt=DELETION_CONFIRM_SALT, max_age=DELETION_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ConfirmationLinkExpired(
            "This confirmation link has expired. Ask again on the account deletion page to get a new one."
        )
    except signing.BadSignature:
        raise ConfirmationLinkInvalid("This confirmation link is not valid. Use the link from the latest email.")
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        raise NoDeletionRequest("This confirmation link is not for the account you are signed in to.")
    deletion = DeletionRequest.objects.filter(pk=payload.get("r"), user=user).first()
    if deletion is None:
        raise NoDeletionRequest("This confirmation link is not for the account you are signed in to.")
    if deletion.status not in OPEN_DELETION_STATUSES:
        raise InvalidStateError(
            "This deletion request was cancelled. Ask again if you still want to delete your account."
        )
    return deletion


def deletion_request(
    *, user: Any, password: str, forfeit_balance: bool = False, request: HttpRequest | None = None
) -> DeletionRequest:
    """Ask to delete the account: re-authenticated by password, refused while something blocks it, confirmed by
    an emailed link. Asking again while unconfirmed sends a new link. Audited."""
    rate_limit_scope_consume(
        scope=DELETION_RATE_SCOPE,
        subject_id=user.pk,
        message=lambda limit: (
            f"You can ask to delete your account {limit.limit} times {limit.period}. Please try again later."
        ),
    )
    if not user.check_password(password):
        raise WrongPassword("That password is not right.")
    blockers = personal_data_blockers(user)
    if blockers:
        raise DeletionBlocked(blockers)
    balance = wallet_balance(user=user)
    if balance > 0 and not forfeit_balance:
        raise InvalidInputError(
            f"Your wallet still holds ${balance:.2f}. Confirm that you give it up, "
            "or spend it or ask for a refund first."
        )
    now = timezone.now()
    with transaction.atomic(durable=True):
        user_lock(user_id=user.pk)
        deletion = DeletionRequest.objects.filter(user=user, status__in=sorted(OPEN_DELETION_STATUSES)).first()
        if deletion is not None and deletion.status == DeletionStatus.SCHEDULED:
            raise InvalidStateError("Your account is already scheduled for deletion.")
        if deletion is None:
            deletion = DeletionRequest.objects.create(user=user, requested_at=now)
        else:
            deletion.requested_at = now
            deletion.save(update_fields=["requested_at"])
        outbox_enqueue(
            name=DELETION_CONFIRM_EMAIL,
            kwargs={"request_id": deletion.pk, "asked_at": now.isoformat()},
            dedupe_key=f"privacy:deletion:{deletion.pk}:confirm:{now.isoformat()}",
        )
        audit_log_record(
            actor=user,
            action="privacy.deletion_requested",
            target=deletion,
            details={"wallet_balance": f"{balance:.2f}"},
            request=request,
        )
    return deletion


def deletion_confirm(*, user: Any, token: str, request: HttpRequest | None = None) -> DeletionRequest:
    """Confirm by the emailed link: the anonymisation is scheduled after the grace period. Audited."""
    deletion = deletion_token_request(user=user, token=token)
    now = timezone.now()
    with transaction.atomic(durable=True):
        user_lock(user_id=user.pk)
        deletion = deletion_lock(request_id=deletion.pk)  # type: ignore[assignment]
        if deletion is None or deletion.status not in OPEN_DELETION_STATUSES:
            raise InvalidStateError(
                "This deletion request was cancelled. Ask again if you still want to delete your account."
            )
        if deletion.status == DeletionStatus.SCHEDULED:
            return deletion
        deletion.status = DeletionStatus.SCHEDULED
        deletion.confirmed_at = now
        deletion.scheduled_for = now + DELETION_GRACE
        deletion.save(update_fields=["status", "confirmed_at", "scheduled_for"])
        audit_log_record(
            actor=user,
            action="privacy.deletion_confirmed",
            target=deletion,
            details={"scheduled_for": deletion.scheduled_for.isoformat()},
            request=request,
        )
    return deletion


def deletion_cancel(*, user: Any, request: HttpRequest | None = None) -> DeletionRequest:
    """Keep the account: cancel an unconfirmed or scheduled deletion. Audited."""
    with transaction.atomic(durable=True):
        user_lock(user_id=user.pk)
        open_id = (
            DeletionRequest.objects.filter(user=user, status__in=sorted(OPEN_DELETION_STATUSES))
            .values_list("pk", flat=True)
            .first()
        )
        deletion = deletion_lock(request_id=open_id) if open_id else None
        if deletion is None or deletion.status not in OPEN_DELETION_STATUSES:
            raise InvalidStateError("Your account is not scheduled for deletion: there is nothing to cancel.")
        was = deletion.status
        deletion.status = DeletionStatus.CANCELLED
        deletion.cancelled_at = timezone.now()
        deletion.save(update_fields=["status", "cancelled_at"])
        audit_log_record(
            actor=user, action="privacy.deletion_cancelled", target=deletion, details={"was": was}, request=request
        )
    return deletion


def deletion_run_one(*, request_id: int, now: datetime | None = None) -> bool:
    """Anonymise the account of one due, scheduled request, unless something blocks it (then the reasons are
    recorded and the user told once; the next run tries again). Returns whether the account was anonymised."""
    now = now or timezone.now()
    user_id = DeletionRequest.objects.filter(pk=request_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return False
    with transaction.atomic(durable=True):
        user = user_lock(user_id=user_id)
        deletion = deletion_lock(request_id=request_id)
        if deletion is None or deletion.status != DeletionStatus.SCHEDULED or deletion.scheduled_for > now:
            return False
        getattr(user, "reader_profile", None)  # loaded now: erase entries see the names as they were
        blockers = personal_data_blockers(user)
        deletion.last_attempt_at = now
        if blockers:
            first_time = not deletion.blocked_reasons
            deletion.blocked_reasons = blockers
            deletion.save(update_fields=["blocked_reasons", "last_attempt_at"])
            if first_time:
                notify(
                    user=user,
                    kind=DELETION_WAITING,
                    title="Your account deletion is waiting",
                    body=" ".join(blockers),
                    url=reverse("privacy:delete"),
                    email=True,
                )
            return False
        files = personal_data_files(user)
        personal_data_erase(user)
        deletion.status = DeletionStatus.COMPLETED
        deletion.completed_at = now
        deletion.blocked_reasons = []
        deletion.save(update_fields=["status", "completed_at", "blocked_reasons", "last_attempt_at"])
        audit_log_record(
            actor=None,
            action="privacy.account_deleted",
            target=user,
            details={"request_id": deletion.pk, "files": len(files)},
        )
        for alias, key, _arcname in files:
            transaction.on_commit(partial(_file_delete, alias, key))
    return True


def deletions_run(*, now: datetime | None = None, limit: int = 100) -> int:
    """The beat job: carry out every due deletion (each in its own transaction). Returns how many were done."""
    now = now or timezone.now()
    due = DeletionRequest.objects.filter(status=DeletionStatus.SCHEDULED, scheduled_for__lte=now).order_by(
        "scheduled_for", "pk"
    )
    return sum(deletion_run_one(request_id=pk, now=now) for pk in list(due.values_list("pk", flat=True)[:limit]))
