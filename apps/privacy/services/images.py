"""Stored images rewritten without their metadata: a one-off pass over images uploaded before re-encoding.

Every column of uploaded images is declared by its app (``apps.core.stored_images``). For each stored file that
still carries metadata (EXIF with GPS, XMP, ICC, comments, text chunks, appended bytes: whatever
``apps.core.uploads.upload_check`` drops), ``images_rescrub`` writes the clean copy the upload path would have
stored under a new name in the same storage, points the row at it, and deletes the old file once that commit is
done. Clean files are left as they are, so a second pass rewrites nothing, and a pass stopped midway is simply
run again. A file that cannot be read is counted, logged and left alone.
"""

import logging
import posixpath
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from apps.core.stored_images import StoredImageField, stored_image_fields
from apps.core.uploads import image_metadata_found

logger = logging.getLogger(__name__)

# Far above any upload limit we ever had; a larger stored file is reported as unreadable rather than decoded.
RESCRUB_MAX_BYTES = 64 * 1024 * 1024
RESCRUB_BATCH_SIZE = 200


@dataclass
class RescrubCounts:
    checked: int = 0
    rewritten: int = 0  # with dry_run: would be rewritten
    clean: int = 0
    unreadable: int = 0
    changed: int = 0  # the row named another file by the time the clean copy was ready: the newer upload wins

    def add(self, other: "RescrubCounts") -> None:
        for name in ("checked", "rewritten", "clean", "unreadable", "changed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class UnreadableImage:
    key: str
    row_id: Any
    name: str
    reason: str


@dataclass
class RescrubReport:
    by_key: dict[str, RescrubCounts] = field(default_factory=dict)
    unreadable: list[UnreadableImage] = field(default_factory=list)

    @property
    def total(self) -> RescrubCounts:
        total = RescrubCounts()
        for counts in self.by_key.values():
            total.add(counts)
        return total


def _new_name(old_name: str, extension: str) -> str:
    """Beside the old file, under 128 random bits: the old name may hold the sender's own file name."""
    return posixpath.join(posixpath.dirname(old_name), f"{secrets.token_hex(16)}.{extension}")


def _old_file_delete(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # the row already points at the clean copy; the old file is reported to be removed by hand
        logger.exception("images_rescrub: could not delete the replaced file %s", name)


def stored_image_repoint(*, entry: StoredImageField, row_id: Any, old_name: str, new_name: str, changes: dict) -> bool:
    """Point ``entry``'s column of row ``row_id`` from ``old_name`` to ``new_name`` (and ``changes``), only if it
    still names ``old_name``; delete the old file after the commit. Returns whether the row was changed.

    A conditional UPDATE rather than a lock and a re-read: PostgreSQL re-checks the condition on the newest row
    version after waiting for any transaction writing the row (the owner uploading a new avatar), so a file
    replaced meanwhile is never overwritten with the clean copy of the old one.
    """
    storage = entry.file_storage
    with transaction.atomic(durable=True):
        updated = (
            entry.model_class._default_manager.filter(pk=row_id, **{entry.field: old_name})
            .filter(entry.images)
            .update(**{entry.field: new_name}, **changes)
        )
        if updated:
            transaction.on_commit(partial(_old_file_delete, storage, old_name))
    return bool(updated)


def _file_rescrub(*, entry: StoredImageField, row_id: Any, name: str, dry_run: bool, report: RescrubReport) -> None:
    storage = entry.file_storage
    counts = report.by_key[entry.key]
    counts.checked += 1
    try:
        with storage.open(name, "rb") as stored:
            found, checked = image_metadata_found(
                ContentFile(stored.read(RESCRUB_MAX_BYTES + 1), name=name), max_bytes=RESCRUB_MAX_BYTES
            )
    except Exception as error:  # missing, unreadable or refused: one bad file must not stop the pass over the rest
        counts.unreadable += 1
        report.unreadable.append(UnreadableImage(entry.key, row_id, name, str(error) or type(error).__name__))
        logger.warning("images_rescrub: %s #%s %s left alone: %s", entry.key, row_id, name, error)
        return
    if not found:
        counts.clean += 1
        return
    if dry_run:
        counts.rewritten += 1
        logger.info("images_rescrub: %s #%s %s would lose %s", entry.key, row_id, name, ", ".join(found))
        return
    new_name = storage.save(_new_name(name, checked.extension), ContentFile(checked.content))
    try:
        repointed = stored_image_repoint(
            entry=entry, row_id=row_id, old_name=name, new_name=new_name, changes=entry.describe(checked)
        )
    except BaseException:
        storage.delete(new_name)
        raise
    if repointed:
        counts.rewritten += 1
        logger.info(
            "images_rescrub: %s #%s %s rewritten as %s without %s", entry.key, row_id, name, new_name, ", ".join(found)
        )
    else:
        storage.delete(new_name)  # nothing points at it: the row changed or went meanwhile
        counts.changed += 1


def images_rescrub(
    *,
    dry_run: bool = False,
    keys: Collection[str] | None = None,
    batch_size: int = RESCRUB_BATCH_SIZE,
    progress: Callable[[str, RescrubCounts], None] | None = None,
) -> RescrubReport:
    """Rewrite every stored uploaded image that still carries metadata (see the module docstring).

    ``keys`` limits the pass to some registry entries; ``dry_run`` only counts. Rows are read in primary-key
    batches, each rewrite commits on its own, so the pass holds no long transaction and can be stopped at any time.
    ``progress(key, counts)`` is called after each batch.
    """
    report = RescrubReport()
    for entry in stored_image_fields():
        if keys is not None and entry.key not in keys:
            continue
        counts = report.by_key.setdefault(entry.key, RescrubCounts())
        rows = (
            entry.model_class._default_manager.filter(entry.images)
            .exclude(**{f"{entry.field}__isnull": True})
            .exclude(**{entry.field: ""})
            .order_by("pk")
        )
        last_id: Any = None
        while True:
            batch = rows if last_id is None else rows.filter(pk__gt=last_id)
            found = list(batch.values_list("pk", entry.field)[:batch_size])
            if not found:
                break
            for row_id, name in found:
                _file_rescrub(entry=entry, row_id=row_id, name=name, dry_run=dry_run, report=report)
            last_id = found[-1][0]
            if progress is not None:
                progress(entry.key, counts)
    return report
