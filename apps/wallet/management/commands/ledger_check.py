"""``python manage.py ledger_check``: verify every ledger invariant, print a report, exit 1 on any violation."""

from django.core.management.base import BaseCommand, CommandError

from apps.wallet.services.ledger_check import ledger_check_format, ledger_check_run


class Command(BaseCommand):
    help = "Verify the ledger: balanced transactions, cached balances, no negative wallet or hold."

    def handle(self, *args, **options) -> None:
        run = ledger_check_run(trigger="command")
        self.stdout.write(ledger_check_format(run.report))
        if not run.is_ok:
            raise CommandError(f"{len(run.report['violations'])} ledger violation(s) found.", returncode=1)
