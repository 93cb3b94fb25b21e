"""The ledger check: proves every invariant of SPEC §3 against the rows in the database.

Core checks:
- every transaction has at least two postings and they sum to zero;
- every cached balance equals the sum of its account's postings (house accounts keep no cache: zero);
- no client wallet and no hold is below zero.

- ``finished_subject_holds_nothing``: the hold of every finished subject is at zero. Each app that holds
  money registers how to list its finished subjects (``apps.wallet.hold_subjects.hold_subject_register``).

The report also lists every non-zero hold account under ``open_holds`` for information; an open hold of a
subject that is not finished is not a violation. Apps add checks of their own invariants with
``@ledger_check_register("name")`` (a function returning a list of violation dicts).
"""

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.services import audit_log_record
from apps.wallet.alerts import LEDGER_CHECK_FAILED, admin_alert
from apps.wallet.enums import HOLD_ACCOUNT_KINDS, LOCKABLE_ACCOUNT_KINDS, NON_NEGATIVE_ACCOUNT_KINDS
from apps.wallet.hold_subjects import hold_subject_list
from apps.wallet.models import Account, LedgerCheckRun

logger = logging.getLogger(__name__)

Violation = dict[str, Any]
LedgerCheck = Callable[[], list[Violation]]

_EXTRA_CHECKS: dict[str, LedgerCheck] = {}


def ledger_check_register(name: str) -> Callable[[LedgerCheck], LedgerCheck]:
    """Register an extra ledger check (a function returning violations). Registering a name again replaces it."""

    def decorator(check: LedgerCheck) -> LedgerCheck:
        _EXTRA_CHECKS[name] = check
        return check

    return decorator


def ledger_check_unregister(name: str) -> None:
    _EXTRA_CHECKS.pop(name, None)


def _rows(sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _in_list(kinds: frozenset) -> str:
    # Account kinds are fixed identifiers from enums.py, never user input.
    return ", ".join(f"'{kind}'" for kind in sorted(kinds))


LOCKABLE_IN = _in_list(LOCKABLE_ACCOUNT_KINDS)
UNBALANCED_SQL = """
    SELECT t.id AS transaction_id, t.kind, COALESCE(SUM(p.amount), 0) AS total, COUNT(p.id) AS postings
    FROM wallet_transaction t LEFT JOIN wallet_posting p ON p.transaction_id = t.id
    GROUP BY t.id, t.kind
    HAVING ROUND(COALESCE(SUM(p.amount), 0), 2) <> 0 OR COUNT(p.id) < 2
    ORDER BY t.id
"""
# Lockable accounts cache their balance; house accounts must keep zero (their balance is derived).
CACHED_SQL = f"""
    SELECT a.id AS account_id, a.code, a.balance AS cached, COALESCE(s.total, 0) AS derived
    FROM wallet_account a
    LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM wallet_posting GROUP BY account_id) s
        ON s.account_id = a.id
    WHERE (a.kind IN ({LOCKABLE_IN}) AND a.balance <> ROUND(COALESCE(s.total, 0), 2))
       OR (a.kind NOT IN ({LOCKABLE_IN}) AND a.balance <> 0)
    ORDER BY a.id
"""  # noqa: S608  # nosec B608: LOCKABLE_IN is our enum's quoted values
DERIVED_SQL = """
    SELECT a.id AS account_id, a.code, SUM(p.amount) AS derived
    FROM wallet_account a JOIN wallet_posting p ON p.account_id = a.id
    WHERE a.kind IN ({kinds})
    GROUP BY a.id, a.code
    HAVING ROUND(SUM(p.amount), 2) {condition}
    ORDER BY a.id
"""
NEGATIVE_SQL = DERIVED_SQL.format(kinds=_in_list(NON_NEGATIVE_ACCOUNT_KINDS), condition="< 0")
OPEN_HOLDS_SQL = DERIVED_SQL.format(kinds=_in_list(HOLD_ACCOUNT_KINDS), condition="<> 0")


def _money(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # JSON-safe: amounts as strings with two places, ids as ints.
    def show(value: Any) -> Any:
        return f"{value:.2f}" if isinstance(value, Decimal) else value

    return [{key: show(value) for key, value in row.items()} for row in rows]


def _unbalanced_transactions() -> list[Violation]:
    return [{"check": "transaction_balances", **row} for row in _money(_rows(UNBALANCED_SQL))]


def _cached_balances() -> list[Violation]:
    return [{"check": "cached_balance", **row} for row in _money(_rows(CACHED_SQL))]


def _negative_accounts() -> list[Violation]:
    return [{"check": "non_negative", **row} for row in _money(_rows(NEGATIVE_SQL))]


def _open_holds() -> list[dict[str, Any]]:
    return _money(_rows(OPEN_HOLDS_SQL))


FINISHED_SUBJECTS_CHECK = "finished_subject_holds_nothing"


def _finished_subject_holds(subject_type: str, finished: Callable[[], Any]) -> list[Violation]:
    """The holds of this type's finished subjects that are not at zero (derived from their postings)."""
    holds = (
        Account.objects.filter(subject_type=subject_type, subject_id__in=finished().values("pk"))
        .annotate(held=Coalesce(Sum("postings__amount"), Value(Decimal("0.00")), output_field=DecimalField()))
        .exclude(held=0)
        .order_by("subject_id")
        .values("subject_type", "subject_id", "code", "held")
    )
    return _money(list(holds))


def _finished_subjects_hold_nothing() -> list[Violation]:
    violations: list[Violation] = []
    for subject in hold_subject_list():
        if subject.finished is not None:
            check = partial(_finished_subject_holds, subject.subject_type, subject.finished)
            violations += _extra_check_run(FINISHED_SUBJECTS_CHECK, check)
    return violations


def _extra_check_run(name: str, check: LedgerCheck) -> list[Violation]:
    """One registered check's violations. A check that cannot run (e.g. SQL this database does not speak)
    is itself a violation: the ledger is then not proven, so the report says which check failed and why,
    and the run exits 1 instead of crashing before it is stored."""
    try:
        # A savepoint, so a failed statement does not abort the snapshot the other checks still read.
        with transaction.atomic():
            return [{"check": name, **violation} for violation in check()]
    except Exception as error:
        logger.exception("Ledger check %s could not run", name)
        return [{"check": name, "error": f"the check could not run: {type(error).__name__}: {error}"[:500]}]


def ledger_check_collect() -> dict[str, Any]:
    """Run every check on one consistent snapshot and return the report (no writes)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            # One snapshot for all checks, so a transaction committed half-way through cannot look wrong.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        violations = _unbalanced_transactions() + _cached_balances() + _negative_accounts()
        violations += _finished_subjects_hold_nothing()
        for name, check in sorted(_EXTRA_CHECKS.items()):
            violations += _extra_check_run(name, check)
        counts = _rows(
            "SELECT (SELECT COUNT(*) FROM wallet_transaction) AS transactions,"
            " (SELECT COUNT(*) FROM wallet_posting) AS postings,"
            " (SELECT COUNT(*) FROM wallet_account) AS accounts"
        )[0]
        open_holds = _open_holds()
    return {
        "ok": not violations,
        "violations": violations,
        "open_holds": open_holds,
        "checks": [
            "transaction_balances",
            "cached_balance",
            "non_negative",
            FINISHED_SUBJECTS_CHECK,
            *sorted(_EXTRA_CHECKS),
        ],
        **counts,
    }


def ledger_check_run(*, trigger: str = "command") -> LedgerCheckRun:
    """Run the ledger check, store its result, and on any violation log an error and write an audit row.

    Use case of its own: the report is read in one snapshot, then the run is stored in a short transaction.
    """
    started_at = timezone.now()
    report = ledger_check_collect()
    with transaction.atomic(durable=True):
        run = LedgerCheckRun.objects.create(
            started_at=started_at, finished_at=timezone.now(), is_ok=report["ok"], report=report, trigger=trigger
        )
        if not report["ok"]:
            audit_log_record(
                actor=None,
                action="wallet.ledger_check_failed",
                target=run,
                details={"violations": report["violations"][:100], "count": len(report["violations"])},
            )
            checks = sorted({str(violation.get("check")) for violation in report["violations"]})
            admin_alert(
                kind=LEDGER_CHECK_FAILED,
                title=f"The ledger check found {len(report['violations'])} violation(s)",
                body=f"Failed checks: {', '.join(checks)}. The report is on the ledger page.",
                url_name="staff_wallet:index",
            )
    if not report["ok"]:
        logger.error(
            "Ledger check found %d violation(s)",
            len(report["violations"]),
            extra={"violations": report["violations"][:20]},
        )
    return run


def ledger_check_format(report: dict[str, Any]) -> str:
    """The report as plain text for the command line."""
    lines = [
        f"Ledger check: {'OK' if report['ok'] else 'VIOLATIONS FOUND'}",
        f"  {report['transactions']} transactions, {report['postings']} postings, {report['accounts']} accounts",
        f"  checks: {', '.join(report['checks'])}",
    ]
    for violation in report["violations"]:
        details = ", ".join(f"{key}={value}" for key, value in violation.items() if key != "check")
        lines.append(f"  VIOLATION {violation['check']}: {details}")
    if report["open_holds"]:
        lines.append(f"  open holds ({len(report['open_holds'])}):")
        lines += [f"    {hold['code']}: {hold['derived']}" for hold in report["open_holds"]]
    return "\n".join(lines)
