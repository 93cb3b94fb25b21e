"""``python manage.py images_rescrub [--dry-run] [--only KEY ...]``: rewrite stored uploaded images that still carry
metadata (EXIF with GPS, XMP, ICC, comments) without it; print what was checked, rewritten, clean, unreadable,
changed meanwhile and not deleted.

Run once after deploying re-encoded uploads (docs/DEPLOY.md); running it again is harmless and rewrites nothing.
A run that rewrote, skipped, could not read or could not delete anything records one ``privacy.images_rescrubbed``
audit row (by the system) with its counts; ``--dry-run`` records none. The exit status is 1 when a file could not
be deleted (listed, to be removed by hand).

Stopping it (Ctrl-C, or SIGTERM as a dyno restart sends) is safe: the clean copy being written is deleted unless
its row already names it, and the audit row is still recorded. Only a hard kill (SIGKILL, a lost machine) between
storing a clean copy and committing its row can leave that copy behind: a clean file beside the original that no
row names.
"""

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.stored_images import stored_image_fields
from apps.privacy.services.images import RescrubCounts, images_rescrub


def _line(label: str, counts: RescrubCounts, *, dry_run: bool) -> str:
    rewritten = "would rewrite" if dry_run else "rewritten"
    line = (
        f"{label}: checked {counts.checked}, {rewritten} {counts.rewritten}, already clean {counts.clean}, "
        f"unreadable {counts.unreadable}, changed meanwhile {counts.changed}"
    )
    return line if dry_run else f"{line}, not deleted {counts.not_deleted}"


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C, so the file in progress is cleaned up and audited


class Command(BaseCommand):
    help = (
        "Rewrite stored uploaded images that still carry metadata (GPS, camera, comments) without it. Safe to stop "
        "with Ctrl-C or SIGTERM; only a hard kill can leave a clean copy that no row names. Exits with status 1 when "
        "a file could not be deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count; write, delete and audit nothing.")
        parser.add_argument(
            "--only",
            action="append",
            metavar="KEY",
            help="Only this kind of image (repeatable), e.g. accounts.avatars.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        known = [entry.key for entry in stored_image_fields()]
        keys = options["only"]
        if keys and (unknown := sorted(set(keys) - set(known))):
            raise CommandError(f"Unknown image kind(s): {', '.join(unknown)}. Known: {', '.join(known)}.")
        dry_run = options["dry_run"]

        def progress(key: str, counts: RescrubCounts) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(_line(f"{key} so far", counts, dry_run=dry_run))

        in_main_thread = threading.current_thread() is threading.main_thread()  # where Python allows handlers
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm) if in_main_thread else None
        try:
            report = images_rescrub(dry_run=dry_run, keys=keys, progress=progress)
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous)
        for key, counts in report.by_key.items():
            self.stdout.write(_line(key, counts, dry_run=dry_run))
        self.stdout.write(_line("total", report.total, dry_run=dry_run))
        if report.unreadable:
            self.stdout.write(self.style.WARNING("Left as they are (unreadable):"))
            for item in report.unreadable:
                self.stdout.write(f"  {item.key} #{item.row_id} {item.name}: {item.reason}")
        if report.not_deleted:
            self.stdout.write(self.style.WARNING("Not deleted (remove by hand):"))
            for undeleted in report.not_deleted:
                self.stdout.write(
                    f"  {undeleted.key} #{undeleted.row_id} {undeleted.what} {undeleted.name}: {undeleted.reason}"
                )
            raise CommandError(
                f"{len(report.not_deleted)} file(s) could not be deleted: no row names them, remove them by hand "
                "(listed above)."
            )
