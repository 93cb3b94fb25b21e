"""Stored images rewritten without their metadata: a one-off pass over images uploaded before re-encoding.

Every column of uploaded images is declared by its app (``apps.core.stored_images``). For each stored file that
still carries metadata (EXIF with GPS, XMP, ICC, comments, text chunks, appended bytes: whatever
``apps.core.uploads.upload_check`` drops), ``images_rescrub`` writes the clean copy the upload path would have
stored under a new name in the same storage, points the row at it, and deletes the old file once that commit is
done. Clean files are left as they are, so a second pass rewrites nothing, and a pass stopped midway is simply
run again. A file that cannot be read is counted, logged and left alone; a file that cannot be deleted (the old file
once replaced, or a clean copy no row took) is counted and listed so it can be removed by hand.

A clean copy no row points at is deleted whenever the UPDATE does not apply (a newer upload won) or its transaction
does not commit (an error, Ctrl-C, or SIGTERM, which the command turns into an orderly stop). Only a hard kill
(SIGKILL, a lost machine) between storing the copy and the commit can leave one behind; it is a clean, unnamed file
beside the original, and a new pass does not find it (nothing points at it).

Every pass that is not a dry run and rewrote, skipped, could not read or could not delete something writes one
``privacy.images_rescrubbed`` audit row with its counts per column, also when it stops on an error.
"""

import logging
import posixpath
import secrets
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from apps.core.services import audit_log_record
from apps.core.stored_images import StoredImageField, stored_image_fields
from apps.core.uploads import image_metadata_found

logger = logging.getLogger(__name__)

# Far above any upload limit we ever had; a larger stored file is reported as unreadable rather than decoded.
RESCRUB_MAX_BYTES = 64 * 1024 * 1024
RESCRUB_BATCH_SIZE = 200
# The audit row lists at most this many unreadable or undeleted files by name (their counts are always whole).
RESCRUB_AUDIT_MAX_FILES = 200
RESCRUB_AUDIT_ACTION = "privacy.images_rescrubbed"
COUNT_NAMES = ("checked", "rewritten", "clean", "unreadable", "changed", "not_deleted")


@dataclass
class RescrubCounts:
    checked: int = 0
    rewritten: int = 0  # with dry_run: would be rewritten
    clean: int = 0
    unreadable: int = 0
    changed: int = 0  # the row named another file by the time the clean copy was ready: the newer upload wins
    not_deleted: int = 0  # files the storage refused to delete: an old file once replaced, or an unused clean copy

    def add(self, other: "RescrubCounts") -> None:
        for name in COUNT_NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_NAMES}

    @property
    def eventful(self) -> bool:
        """Whether the pass did or met anything beyond reading clean files: what the audit row is written for."""
        return bool(self.rewritten or self.unreadable or self.changed or self.not_deleted)


@dataclass(frozen=True)
class UnreadableImage:
    key: str
    row_id: Any
    name: str
    reason: str


@dataclass(frozen=True)
class UndeletedFile:
    key: str
    row_id: Any
    name: str
    what: str  # "old file" (the row names the clean copy now) or "clean copy" (no row names it)
    reason: str


@dataclass
class RescrubReport:
    by_key: dict[str, RescrubCounts] = field(default_factory=dict)
    unreadable: list[UnreadableImage] = field(default_factory=list)
    not_deleted: list[UndeletedFile] = field(default_factory=list)

    @property
    def total(self) -> RescrubCounts:
        total = RescrubCounts()
        for counts in self.by_key.values():
            total.add(counts)
        return total


def _new_name(old_name: str, extension: str) -> str:
    """Beside the old file, under 128 random bits: the old name may hold the sender's own file name."""
    return posixpath.join(posixpath.dirname(old_name), f"{secrets.token_hex(16)}.{extension}")


@dataclass
class RepointOutcome:
    """What one repoint did: whether the row names the clean copy (set once committed, before the old file is
    touched), and whom to tell when the old file could not be deleted."""

    committed: bool = False
    old_file_kept: Callable[[str], None] | None = None


def _error_text(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _old_file_delete(storage: Storage, name: str, outcome: RepointOutcome) -> None:
    outcome.committed = True  # first: whatever happens next, the row names the clean copy now
    try:
        storage.delete(name)
    except BaseException as error:  # the row already points at the clean copy; the old file is reported for removal
        logger.warning("images_rescrub: could not delete the replaced file %s", name, exc_info=True)
        if outcome.old_file_kept is not None:
            outcome.old_file_kept(_error_text(error))
        if not isinstance(error, Exception):  # interrupted: counted above, and the pass stops
            raise


def stored_image_repoint(
    *,
    entry: StoredImageField,
    row_id: Any,
    old_name: str,
    new_name: str,
    changes: dict,
    outcome: RepointOutcome | None = None,
) -> bool:
    """Point ``entry``'s column of row ``row_id`` from ``old_name`` to ``new_name`` (and ``changes``), only if it
    still names ``old_name``; delete the old file after the commit. Returns whether the row was changed.

    ``outcome.committed`` is set once the change is committed (by the on-commit callback, before it deletes the old
    file, so an interruption during that delete still knows), and ``outcome.old_file_kept(reason)`` is called when
    the storage refuses to delete the old file.

    A conditional UPDATE rather than a lock and a re-read: PostgreSQL re-checks the condition on the newest row
    version after waiting for any transaction writing the row (the owner uploading a new avatar), so a file
    replaced meanwhile is never overwritten with the clean copy of the old one.
    """
    storage = entry.file_storage
    outcome = outcome if outcome is not None else RepointOutcome()
    with transaction.atomic(durable=True):
        updated = (
            entry.model_class._default_manager.filter(pk=row_id, **{entry.field: old_name})
            .filter(entry.images)
            .update(**{entry.field: new_name}, **changes)
        )
        if updated:
            transaction.on_commit(partial(_old_file_delete, storage, old_name, outcome))
    if updated:
        outcome.committed = True  # (already, unless on-commit callbacks are deferred: inside a test's transaction)
    return bool(updated)


def _not_deleted(
    report: RescrubReport, entry: StoredImageField, row_id: Any, name: str, what: str, reason: str
) -> None:
    report.by_key[entry.key].not_deleted += 1
    report.not_deleted.append(UndeletedFile(entry.key, row_id, name, what, reason))
    logger.warning("images_rescrub: %s #%s %s %s not deleted: %s", entry.key, row_id, what, name, reason)


def _clean_copy_delete(*, entry: StoredImageField, row_id: Any, name: str, report: RescrubReport) -> None:
    """Delete a clean copy no row names (the row changed meanwhile, or the UPDATE never committed)."""
    try:
        entry.file_storage.delete(name)
    except Exception as error:  # reported to be removed by hand; the pass goes on (or goes on stopping)
        _not_deleted(report, entry, row_id, name, "clean copy", _error_text(error))


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
    new_name = ""
    outcome = RepointOutcome(
        old_file_kept=lambda reason: _not_deleted(report, entry, row_id, name, "old file", reason),
    )
    try:
        new_name = storage.save(_new_name(name, checked.extension), ContentFile(checked.content))
        repointed = stored_image_repoint(
            entry=entry,
            row_id=row_id,
            old_name=name,
            new_name=new_name,
            changes=entry.describe(checked),
            outcome=outcome,
        )
    finally:
        # Also on an error or an interruption (KeyboardInterrupt, SystemExit) before or during the commit: no row
        # names the clean copy unless ``outcome.committed``.
        if new_name and not outcome.committed:
            _clean_copy_delete(entry=entry, row_id=row_id, name=new_name, report=report)
    if repointed:
        counts.rewritten += 1
        logger.info(
            "images_rescrub: %s #%s %s rewritten as %s without %s", entry.key, row_id, name, new_name, ", ".join(found)
        )
    else:  # nothing points at the clean copy (deleted above): the row changed or went meanwhile
        counts.changed += 1


def _audit_files(items: list) -> list[dict[str, Any]]:
    return [
        {name: str(value) if name == "row_id" else value for name, value in asdict(item).items()}
        for item in items[:RESCRUB_AUDIT_MAX_FILES]
    ]


def _rescrub_audit(*, report: RescrubReport, actor: Any, error: BaseException | None) -> None:
    """One audit row for a pass that rewrote, skipped, could not read or could not delete anything (or stopped)."""
    if error is None and not report.total.eventful:
        return
    details: dict[str, Any] = {
        "completed": error is None,
        "counts": {key: counts.as_dict() for key, counts in report.by_key.items()},
        "total": report.total.as_dict(),
        "unreadable": _audit_files(report.unreadable),
        "not_deleted": _audit_files(report.not_deleted),
    }
    if error is not None:
        details["error"] = f"{type(error).__name__}: {_error_text(error)}"[:500]
    audit_log_record(actor=actor, action=RESCRUB_AUDIT_ACTION, details=details)


def images_rescrub(
    *,
    dry_run: bool = False,
    keys: Collection[str] | None = None,
    batch_size: int = RESCRUB_BATCH_SIZE,
    progress: Callable[[str, RescrubCounts], None] | None = None,
    actor: Any = None,
) -> RescrubReport:
    """Rewrite every stored uploaded image that still carries metadata (see the module docstring).

    ``keys`` limits the pass to some registry entries; ``dry_run`` only counts. Rows are read in primary-key
    batches, each rewrite commits on its own, so the pass holds no long transaction and can be stopped at any time.
    ``progress(key, counts)`` is called after each batch. Unless ``dry_run``, a pass that did or met anything beyond
    clean files (or stopped on an error) records one audit row by ``actor`` (None: the system) with its counts.
    """
    report = RescrubReport()
    try:
        _images_walk(report=report, dry_run=dry_run, keys=keys, batch_size=batch_size, progress=progress)
    except BaseException as error:
        if not dry_run:
            try:
                _rescrub_audit(report=report, actor=actor, error=error)
            except Exception:  # the database may be what failed: the original error is the one to raise
                logger.exception("images_rescrub: could not record the audit row of a stopped pass")
        raise
    if not dry_run:
        _rescrub_audit(report=report, actor=actor, error=None)
    return report


def _images_walk(
    *,
    report: RescrubReport,
    dry_run: bool,
    keys: Collection[str] | None,
    batch_size: int,
    progress: Callable[[str, RescrubCounts], None] | None,
) -> None:
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
