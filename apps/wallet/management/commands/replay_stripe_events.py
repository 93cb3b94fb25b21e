"""``python manage.py replay_stripe_events --since 2026-11-01 [--until 2026-11-02]``

Re-fetch the events Stripe holds for a time range (its Events API keeps 30 days) and feed them through the
webhook path: each event is stored once; new and failed ones are processed again, done ones are left alone.
``--now`` processes them in this process instead of enqueuing them for the workers.
"""

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.core.integrations import stripe_enabled
from apps.wallet.services.webhooks import stripe_events_process_received, stripe_events_replay


def _moment(value: str, *, end: bool = False) -> datetime:
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()
            return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 date and time.")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Re-fetch Stripe events for a time range and process the ones not yet done."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="YYYY-MM-DD or ISO 8601 date and time (UTC)")
        parser.add_argument("--until", help="YYYY-MM-DD or ISO 8601 date and time (UTC); default: now")
        parser.add_argument("--now", action="store_true", help="process in this process instead of the workers")

    def handle(self, *args, **options) -> None:
        if not stripe_enabled():
            raise CommandError("Stripe is not configured on this server (STRIPE_SECRET_KEY is empty).")
        since = _moment(options["since"])
        until = _moment(options["until"], end=True) if options["until"] else timezone.now()
        if until < since:
            raise CommandError("--until is before --since.")
        stats = stripe_events_replay(since=since, until=until)
        self.stdout.write(
            f"{stats['fetched']} event(s) fetched: {stats['stored']} new, {stats['requeued']} queued again, "
            f"{stats['already_done']} already processed."
        )
        if options["now"]:
            processed = stripe_events_process_received()
            self.stdout.write(f"{processed} event(s) processed.")
