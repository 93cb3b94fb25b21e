"""``python manage.py reconcile_stripe --since YYYY-MM-DD [--until YYYY-MM-DD]``

Compare the ledger's top-ups and refunds with Stripe's balance transactions for the period, list the
differences, store the run for the admin dashboard, and exit 1 when there is any difference. Exit 2 when
Stripe could not be read (the run is stored with the error; nothing was compared).
"""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.integrations import stripe_enabled
from apps.wallet.services.reconciliation import reconcile_stripe
from apps.wallet.stripe_gateway import StripeError


def _day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD.")


class Command(BaseCommand):
    help = "Compare ledger top-ups and refunds with Stripe's balance transactions; exit 1 on differences."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="first day, YYYY-MM-DD (UTC)")
        parser.add_argument("--until", help="last day, YYYY-MM-DD (UTC); default: today")

    def handle(self, *args, **options) -> None:
        if not stripe_enabled():
            raise CommandError("Stripe is not configured on this server (STRIPE_SECRET_KEY is empty).")
        since = _day(options["since"])
        until = _day(options["until"]) if options["until"] else None
        if until is not None and until < since:
            raise CommandError("--until is before --since.")
        try:
            run = reconcile_stripe(since=since, until=until)
        except StripeError as error:
            raise CommandError(f"Could not read Stripe's balance transactions: {error}", returncode=2)
        self.stdout.write(
            f"Reconciliation {run.since} .. {run.until}: {run.ledger_count} ledger item(s), "
            f"{run.stripe_count} Stripe item(s)."
        )
        for diff in run.differences:
            amounts = ", ".join(f"{k}={diff[k]}" for k in ("ledger_amount", "stripe_amount") if k in diff)
            self.stdout.write(f"  {diff['problem']}: {diff['kind']} {diff['stripe_id']} ({amounts})")
        if not run.is_clean:
            raise CommandError(f"{len(run.differences)} difference(s) found.", returncode=1)
        self.stdout.write("No differences.")
