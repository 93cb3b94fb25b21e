"""Links to private files: bound to one user, expiring, every attempt logged.

A feature that offers a private file (a shop download, a data export, a community attachment) stores it in a
private storage (``private_file_save`` in ``apps.core.uploads``, or its own key) and gives the user a link::

    link, url = file_link_issue(user=buyer, storage_key=key, filename="Tarot guide.pdf", purpose="shop.download",
                                content_type="application/pdf")

``url`` is ``/files/<token>/``. Only the SHA-256 of the token is stored, so the URL cannot be rebuilt later: to
offer the file again, issue a fresh link. The link works for its user only, until ``expires_at`` (``ttl``,
default ``settings.FILE_LINK_TTL``). Opening it (``core:file_download``) serves a local file as an attachment,
or redirects to an R2/S3 URL signed for ``settings.FILE_PRESIGNED_SECONDS``; the file never streams through
the app when it is on R2.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from .exceptions import InvalidInputError
from .models import FileDownload, FileDownloadOutcome, FileLink

PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MAX_TOKEN_LENGTH = 100  # a token is 43 characters; anything much longer is not one of ours


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def file_link_issue(
    *,
    user: Any,
    storage_key: str,
    filename: str,
    purpose: str,
    content_type: str = "application/octet-stream",
    ttl: timedelta | None = None,
    storage: str = "default",
) -> tuple[FileLink, str]:
    """A new link to ``storage_key`` in ``storage`` for ``user``; returns the link and its URL (shown once).

    Writes one row; call it inside the caller's transaction or on its own (autocommit).
    """
    if not PURPOSE_RE.match(purpose):
        raise InvalidInputError(f"A file link's purpose looks like 'app.kind', not {purpose!r}.")
    if storage not in settings.STORAGES or storage == "staticfiles":
        raise InvalidInputError(f"There is no private storage called {storage!r}.")
    if not storage_key or storage_key.startswith("/") or ".." in storage_key.split("/"):
        raise InvalidInputError("A file link needs the file's key inside its storage.")
    filename = filename.replace("/", "_").replace("\\", "_").strip()[:200] or "download"
    token = secrets.token_urlsafe(32)
    link = FileLink.objects.create(
        user=user,
        storage=storage,
        storage_key=storage_key,
        filename=filename,
        content_type=content_type or "application/octet-stream",
        purpose=purpose,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + (ttl if ttl is not None else settings.FILE_LINK_TTL),
    )
    return link, reverse("core:file_download", kwargs={"token": token})


@dataclass(frozen=True)
class FileLinkOpening:
    """What opening a link came to: ``outcome`` (a ``FileDownloadOutcome``) and, when served, how."""

    outcome: str
    link: FileLink | None = None
    local_path: str = ""  # served from this machine's disk
    redirect_url: str = ""  # served by R2/S3 at this signed URL


def file_link_open(*, user: Any, token: str, ip_address: str | None) -> FileLinkOpening:
    """Check ``token`` for ``user`` and record the attempt (one ``FileDownload`` row, whatever the outcome).

    Someone else's link and a token that matches none look the same to the caller (both "not valid for this
    account"); a link is said to be expired only to its own user. The storage is asked whether the file is
    there (a HEAD request on R2) before the row is written, outside any transaction.
    """
    link = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        link = FileLink.objects.filter(token_hash=_token_hash(token)).first()
    if link is None:
        opening = FileLinkOpening(outcome=str(FileDownloadOutcome.UNKNOWN))
    elif link.user_id != user.pk:
        opening = FileLinkOpening(outcome=str(FileDownloadOutcome.WRONG_USER), link=link)
    elif link.expires_at <= timezone.now():
        opening = FileLinkOpening(outcome=str(FileDownloadOutcome.EXPIRED), link=link)
    else:
        opening = _file_link_serving(link) or FileLinkOpening(outcome=str(FileDownloadOutcome.MISSING), link=link)
    with transaction.atomic(durable=True):
        FileDownload.objects.create(link=link, user=user, ip_address=ip_address, outcome=opening.outcome)
    return opening


def storage_local_path(storage: Storage, key: str) -> str | None:
    """The file's path on this machine when ``storage`` keeps files on local disk; None for a remote storage."""
    return storage.path(key) if isinstance(storage, FileSystemStorage) else None


def _file_link_serving(link: FileLink) -> FileLinkOpening | None:
    """How to serve ``link``'s file, or None when its file is not in its storage (any more)."""
    storage: Storage = storages[link.storage]
    local_path = storage_local_path(storage, link.storage_key)
    if local_path is None:  # a remote storage (R2/S3): the storage serves the file by a presigned URL
        if not storage.exists(link.storage_key):
            return None
        disposition = content_disposition_header(as_attachment=True, filename=link.filename)
        url = storage.url(  # type: ignore[call-arg]
            link.storage_key,
            parameters={"ResponseContentDisposition": disposition, "ResponseContentType": link.content_type},
            expire=settings.FILE_PRESIGNED_SECONDS,
        )
        return FileLinkOpening(outcome=str(FileDownloadOutcome.SERVED), link=link, redirect_url=url)
    if not storage.exists(link.storage_key):
        return None
    return FileLinkOpening(outcome=str(FileDownloadOutcome.SERVED), link=link, local_path=local_path)


def file_links_for(user: Any, purpose: str = "", *, active_only: bool = False) -> QuerySet[FileLink]:
    """``user``'s links, newest first; of one ``purpose`` when given; only unexpired ones with ``active_only``."""
    links = FileLink.objects.filter(user=user)
    if purpose:
        links = links.filter(purpose=purpose)
    if active_only:
        links = links.filter(expires_at__gt=timezone.now())
    return links.order_by("-created_at", "-id")
