"""``python manage.py images_rescrub [--dry-run] [--only KEY ...]``: rewrite stored uploaded images that still carry
metadata (EXIF with GPS, XMP, ICC, comments) without it; print what was checked, rewritten, clean and unreadable.

Run once after deploying re-encoded uploads (docs/DEPLOY.md); running it again is harmless and rewrites nothing.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.stored_images import stored_image_fields
from apps.privacy.services.images import RescrubCounts, images_rescrub


def _line(label: str, counts: RescrubCounts, *, dry_run: bool) -> str:
    rewritten = "would rewrite" if dry_run else "rewritten"
    return (
        f"{label}: checked {counts.checked}, {rewritten} {counts.rewritten}, already clean {counts.clean}, "
        f"unreadable {counts.unreadable}, changed meanwhile {counts.changed}"
    )


class Command(BaseCommand):
    help = "Rewrite stored uploaded images that still carry metadata (GPS, camera, comments) without it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count; write and delete nothing.")
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

        report = images_rescrub(dry_run=dry_run, keys=keys, progress=progress)
        for key, counts in report.by_key.items():
            self.stdout.write(_line(key, counts, dry_run=dry_run))
        self.stdout.write(_line("total", report.total, dry_run=dry_run))
        if report.unreadable:
            self.stdout.write(self.style.WARNING("Left as they are (unreadable):"))
            for item in report.unreadable:
                self.stdout.write(f"  {item.key} #{item.row_id} {item.name}: {item.reason}")
