"""Posting to the double-entry ledger (SPEC §3). Every movement of money on the platform goes through
``ledger_post`` (inside a caller's transaction) or ``transaction_post`` (a use case of its own).

Rules enforced here, before anything is written:
- postings are Decimals with at most two places, non-zero, one per account, at least two, summing to zero;
- the idempotency key is unique: the same key with the same parameters returns the first transaction,
  with other parameters raises ``IdempotencyConflict``;
- lockable accounts (wallets, earnings, holds) are locked in primary-key order, then re-read; a client
  wallet or a hold never goes below zero (``InsufficientFunds``); a frozen account pays out only for a
  chargeback or a refund (``AccountFrozen``);
- house accounts are never locked nor updated: their balance is the sum of their postings.
"""

import hashlib
import json
import re
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.db import prepared_cursor
from apps.wallet.enums import (
    FROZEN_DEBIT_KINDS,
    HOUSE_ACCOUNT_CODES,
    LOCKABLE_ACCOUNT_KINDS,
    NON_NEGATIVE_ACCOUNT_KINDS,
    AccountKind,
    FreezeSource,
    TransactionKind,
)
from apps.wallet.exceptions import AccountFrozen, IdempotencyConflict, InsufficientFunds, UnbalancedTransaction
from apps.wallet.hold_subjects import hold_subject_get
from apps.wallet.locks import account_balances_lock, accounts_lock
from apps.wallet.models import Account, Transaction
from apps.wallet.templatetags.wallet_money import usd

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
REFERENCE_FIELDS = frozenset(
    {
        "subject_type",
        "subject_id",
        "session_id",
        "booking_id",
        "order_id",
        "stripe_event_id",
        "stripe_payment_intent_id",
        "stripe_checkout_session_id",
        "stripe_refund_id",
        "stripe_dispute_id",
    }
)
# ``TransactionKind.values`` builds a list on every access; every posting checks its kind.
_TRANSACTION_KINDS = frozenset(TransactionKind.values)
# Text reference columns: empty, never NULL.
_TEXT_REFS = frozenset(field for field in REFERENCE_FIELDS if field.startswith("stripe_") or field == "subject_type")
# The per-domain reference columns that predate the subject pair; each implies its subject.
LEGACY_SUBJECT_FIELDS = {"session_id": "session", "booking_id": "booking", "order_id": "order"}


# --- accounts ----------------------------------------------------------------------------------------


class AccountSpec(NamedTuple):
    """One account named by its code, with what creating it on first use needs."""

    code: str
    kind: Any  # an AccountKind
    user_id: int | None = None
    subject_type: str = ""
    subject_id: int | None = None


def wallet_spec(user: Any) -> AccountSpec:
    return AccountSpec(f"wallet:{user.pk}", AccountKind.WALLET, user.pk)


def earnings_spec(user: Any) -> AccountSpec:
    return AccountSpec(f"earnings:{user.pk}", AccountKind.EARNINGS, user.pk)


def house_spec(code: str) -> AccountSpec:
    try:
        return AccountSpec(code, HOUSE_ACCOUNT_CODES[code])
    except KeyError:
        raise ValueError(f"Unknown house account {code!r}; expected one of {sorted(HOUSE_ACCOUNT_CODES)}.")


@lru_cache(maxsize=1)
def _accounts_by_code_sql() -> tuple[str, tuple[str, ...]]:
    fields = tuple(field.attname for field in Account._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in Account._meta.concrete_fields)
    return f"SELECT {columns} FROM wallet_account WHERE code = ANY(%s)", fields  # noqa: S608  # nosec B608: model columns


def accounts_get(*specs: AccountSpec) -> list[Account]:
    """The accounts ``specs`` name, in their order, read in ONE query; one that does not exist yet is created.

    A payment names its three accounts at once (the payer's wallet, the reader's earnings, platform:revenue)
    instead of one query per getter. Creating is rare (an account's first use) and goes through
    ``get_or_create``, which is safe when two requests create the same account at once.
    """
    if not specs:
        return []
    sql, fields = _accounts_by_code_sql()
    with prepared_cursor() as cursor:
        cursor.execute(sql, [[spec.code for spec in specs]])
        rows = cursor.fetchall()
    found = {account.code: account for account in (Account.from_db(connection.alias, fields, row) for row in rows)}
    for spec in specs:
        if spec.code not in found:
            found[spec.code], _ = Account.objects.get_or_create(
                code=spec.code,
                defaults={
                    "kind": spec.kind,
                    "user_id": spec.user_id,
                    "subject_type": spec.subject_type,
                    "subject_id": spec.subject_id,
                },
            )
    return [found[spec.code] for spec in specs]


def wallet_account(user: Any) -> Account:
    """The client wallet of ``user`` (created on first use)."""
    return accounts_get(wallet_spec(user))[0]


def earnings_account(user: Any) -> Account:
    """The reader earnings account of ``user`` (created on first use)."""
    return accounts_get(earnings_spec(user))[0]


def hold_account(subject_type: str, subject_id: int) -> Account:
    """The hold account ``hold:<subject type>:<id>`` of one subject (created on first use): a reading
    (``"session"``), a refund on its way to the card (``"refund"``), or any subject type an app registered
    with ``apps.wallet.hold_subjects.hold_subject_register``. An unknown type raises ``ValueError``."""
    subject = hold_subject_get(subject_type)
    subject_id = int(subject_id)
    return accounts_get(
        AccountSpec(
            f"hold:{subject.subject_type}:{subject_id}",
            subject.account_kind,
            subject_type=subject.subject_type,
            subject_id=subject_id,
        )
    )[0]


def house_account(code: str) -> Account:
    """One of the platform's own accounts: platform:revenue, platform:losses, stripe:cash, payouts:in_transit."""
    return accounts_get(house_spec(code))[0]


# A freeze only an admin lifts is never replaced by a dispute freeze.
_FREEZE_STRENGTH = {"": 0, FreezeSource.DISPUTE: 1, FreezeSource.DISPUTE_LOST: 2, FreezeSource.ADMIN: 2}


def account_freeze(*, account: Account, reason: str, source: Any = FreezeSource.ADMIN) -> Account:
    """Freeze ``account``: only chargebacks and refunds may take money out. ``source`` says what froze it
    (``FreezeSource``); a freeze that waits for an admin keeps its source when a dispute freezes it again.

    Inner helper: the caller holds the transaction and audits the change.
    """
    _require_atomic()
    locked = accounts_lock([account.pk])[account.pk]
    current = locked.frozen_source if locked.is_frozen else ""
    if _FREEZE_STRENGTH[current] > _FREEZE_STRENGTH[source]:
        return locked
    locked.is_frozen = True
    locked.frozen_reason = reason[:255]
    locked.frozen_at = timezone.now()
    locked.frozen_source = source
    locked.save(update_fields=["is_frozen", "frozen_reason", "frozen_at", "frozen_source"])
    return locked


def account_unfreeze(*, account: Account, source: Any = FreezeSource.ADMIN) -> Account:
    """Lift a freeze. A dispute (``source=DISPUTE``) lifts only a dispute freeze; an admin lifts any.

    Inner helper: the caller holds the transaction and audits the change.
    """
    _require_atomic()
    locked = accounts_lock([account.pk])[account.pk]
    if not locked.is_frozen or (source != FreezeSource.ADMIN and locked.frozen_source != source):
        return locked
    locked.is_frozen = False
    locked.frozen_reason = ""
    locked.frozen_at = None
    locked.frozen_source = ""
    locked.save(update_fields=["is_frozen", "frozen_reason", "frozen_at", "frozen_source"])
    return locked


# --- amounts -----------------------------------------------------------------------------------------


def money(value: Decimal | int | str) -> Decimal:
    """``value`` as a Decimal with exactly two places. Refuses floats and anything finer than a cent."""
    if isinstance(value, float | bool):
        raise ValueError("Money is never a float; pass a Decimal.")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"{value!r} is not an amount of money.")
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of money.")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{value!r} has more than two decimal places.")
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"{value!r} is too large.")
    return amount.quantize(CENT)


def default_reader_rate() -> Decimal:
    """The platform's reader share (``settings.READER_DEFAULT_RATE``, 0.70)."""
    return Decimal(str(settings.READER_DEFAULT_RATE))


def split_reader_share(amount: Decimal, rate: Decimal | None = None) -> tuple[Decimal, Decimal]:
    """Split ``amount`` into (reader_amount, platform_amount) at ``rate`` (default: the platform's rate).

    The reader gets floor(amount × rate) to the cent, the platform the rest, so the two always add up to
    ``amount`` exactly. Use ``apps.wallet.services.shares.reader_share_postings`` to pay a reader.
    """
    amount = money(amount)
    if amount < 0:
        raise ValueError("Only a non-negative amount can be split.")
    rate = default_reader_rate() if rate is None else Decimal(rate)
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError("The reader rate must be between 0 and 1.")
    reader_amount = (amount * rate).quantize(CENT, rounding=ROUND_FLOOR)
    return reader_amount, amount - reader_amount


# --- posting -----------------------------------------------------------------------------------------


def _require_atomic() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("This ledger helper must run inside the caller's transaction.atomic() block.")


def _params_hash(kind: str, user: Any, legs: list[tuple[Account, Decimal]]) -> str:
    # What the money is: kind, user and postings. Descriptive fields (memo, actor, the Stripe event that
    # delivered the fact) may differ between two deliveries of the same fact and are not part of it.
    payload = {
        "kind": str(kind),
        "user": getattr(user, "pk", None),
        "postings": sorted([account.code, str(amount)] for account, amount in legs),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _replay(existing: Transaction, params_hash: str) -> Transaction:
    if existing.params_hash != params_hash:
        raise IdempotencyConflict(
            f"The idempotency key {existing.idempotency_key!r} was already used for a different transaction."
        )
    return existing


def _validated_legs(postings: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Decimal]]:
    legs: list[tuple[Account, Decimal]] = []
    seen: set[int] = set()
    for account, raw_amount in postings:
        if account.pk is None:
            raise ValueError("Post only to saved accounts; use the account getters.")
        if account.pk in seen:
            raise ValueError(f"Account {account.code} appears twice; combine its postings into one.")
        seen.add(account.pk)
        amount = money(raw_amount)
        if amount == 0:
            raise ValueError(f"The posting to {account.code} is zero.")
        legs.append((account, amount))
    if len(legs) < 2:
        raise UnbalancedTransaction("A transaction needs at least two postings.")
    total = sum((amount for _, amount in legs), Decimal(0))
    if total != 0:
        raise UnbalancedTransaction(f"The postings sum to {total}, not zero.")
    return legs


def _by_key(idempotency_key: str) -> Transaction | None:
    # A plain query: this runs on every posting, and a match is rare (replays only).
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM wallet_transaction WHERE idempotency_key = %s", [idempotency_key])
        row = cursor.fetchone()
    return None if row is None else Transaction.objects.get(pk=row[0])


def _refusal(kind: Any, lockable: list[tuple[Account, Decimal]], locked: dict[int, Any]) -> Exception | None:
    """Why the locked accounts cannot take these postings (a frozen account, a wallet or hold below zero)."""
    for account, amount in lockable:
        current = locked[account.pk]
        if amount < 0 and current.is_frozen and kind not in FROZEN_DEBIT_KINDS:
            return AccountFrozen()
        if amount < 0 and current.kind in NON_NEGATIVE_ACCOUNT_KINDS and current.balance + amount < 0:
            return InsufficientFunds(
                f"There is not enough money for this: {usd(current.balance)} available, {usd(-amount)} needed."
            )
    return None


@lru_cache(maxsize=1)
def _transaction_insert_sql() -> tuple[str, tuple[str, ...]]:
    """INSERT of the transaction row that does nothing when its idempotency key exists, and the attributes whose
    values it takes (built once: every posting runs it).

    ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit or roll back and never
    aborts the caller's transaction, so no savepoint is needed around it.
    """
    fields = [field for field in Transaction._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = (
        f"INSERT INTO wallet_transaction ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608  # nosec B608: model columns
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    )
    # Every column is a plain value (text, number, time, id) that the driver adapts as it is.
    return sql, tuple(field.attname for field in fields)


@lru_cache(maxsize=32)
def _write_sql(legs: int, balances: int) -> str:
    insert_sql, _ = _transaction_insert_sql()
    legs_sql = ", ".join(["(%s::bigint, %s::numeric)"] * legs)
    sql = (
        f"WITH t AS ({insert_sql}), "  # noqa: S608  # nosec B608: placeholders only, values are parameters
        "p AS (INSERT INTO wallet_posting (transaction_id, account_id, amount) "
        f"SELECT t.id, v.account_id, v.amount FROM t, (VALUES {legs_sql}) AS v(account_id, amount))"
    )
    if balances:
        balances_sql = ", ".join(["(%s::bigint, %s::numeric)"] * balances)
        # The rows are locked by this transaction (accounts_lock), so the computed balances are exact.
        sql += (
            ", u AS (UPDATE wallet_account AS a SET balance = b.balance "  # noqa: S608  # nosec B608: placeholders only
            f"FROM (VALUES {balances_sql}) AS b(id, balance) WHERE a.id = b.id AND EXISTS (SELECT 1 FROM t))"
        )
    return sql + " SELECT id FROM t"  # noqa: S608  # nosec B608: placeholders only


def _mark_saved(txn: Transaction, pk: int) -> None:
    txn.pk = pk
    txn._state.adding = False
    txn._state.db = connection.alias


def _write(txn: Transaction, legs: list[tuple[Account, Decimal]], new_balances: dict[int, Decimal]) -> bool:
    """Write the transaction, its postings and the new cached balances in ONE statement (one round trip).

    Data-modifying CTEs run exactly once; when the key already exists ``t`` is empty, so no posting and no
    balance is written. False when the key existed.
    """
    _, attnames = _transaction_insert_sql()
    params = [getattr(txn, attname) for attname in attnames]
    params += [value for account, amount in legs for value in (account.pk, amount)]
    params += [value for pk, balance in new_balances.items() for value in (pk, balance)]
    with prepared_cursor() as cursor:
        cursor.execute(_write_sql(len(legs), len(new_balances)), params)
        row = cursor.fetchone()
    if row is None:
        return False
    _mark_saved(txn, row[0])
    return True


def _with_subject(refs: dict[str, Any], legs: Sequence[tuple[Any, Decimal]] = ()) -> dict[str, Any]:
    """``refs`` with the subject pair filled in when the caller named none: from a legacy reference column
    (session_id, booking_id, order_id), else from the one hold account the postings touch."""
    if refs.get("subject_type"):
        if refs.get("subject_id") is None:
            raise ValueError("A subject_type needs its subject_id.")
        return refs
    for field, subject_type in LEGACY_SUBJECT_FIELDS.items():
        if refs.get(field) is not None:
            return {**refs, "subject_type": subject_type, "subject_id": refs[field]}
    holds = [account for account, _ in legs if getattr(account, "subject_type", "")]
    if len(holds) == 1:
        return {**refs, "subject_type": holds[0].subject_type, "subject_id": holds[0].subject_id}
    return refs


def ledger_post(
    *,
    kind: Any,
    idempotency_key: str,
    postings: Sequence[tuple[Account, Decimal]],
    user: Any = None,
    actor: Any = None,
    memo: str = "",
    **refs: Any,
) -> Transaction:
    """Post one balanced transaction and return it (or the first one posted under ``idempotency_key``).

    Inner helper: the caller holds the transaction (``transaction.atomic``) and decides when it commits.
    ``refs`` are the reference fields of ``Transaction``: the subject pair (subject_type, subject_id; filled in
    from a legacy session_id/booking_id/order_id or the one hold account posted to when not given) and
    stripe_*_id.
    Raises ``InsufficientFunds``/``AccountFrozen``/``IdempotencyConflict``/``UnbalancedTransaction`` (or
    ``ValueError`` for malformed input) with nothing written.
    """
    _require_atomic()
    if kind not in _TRANSACTION_KINDS:
        raise ValueError(f"Unknown transaction kind {kind!r}.")
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("An idempotency key of 1 to 200 characters is required.")
    unknown = set(refs) - REFERENCE_FIELDS
    if unknown:
        raise ValueError(f"Unknown transaction references: {sorted(unknown)}.")
    legs = _validated_legs(postings)
    params_hash = _params_hash(kind, user, legs)
    refs = _with_subject(refs, legs)

    lockable = [(account, amount) for account, amount in legs if account.kind in LOCKABLE_ACCOUNT_KINDS]
    locked = account_balances_lock(account.pk for account, _ in lockable)
    # The key is not looked up before writing: the write inserts nothing when the key exists (committed before,
    # or by a racer this one waited for at the locks or at the key's unique index), and the replay is read then.
    # A refusal looks the key up first, so replaying a posting that spent the last of a wallet still returns it.
    refusal = _refusal(kind, lockable, locked)
    if refusal is not None:
        existing = _by_key(idempotency_key)
        if existing is not None:
            return _replay(existing, params_hash)
        raise refusal

    txn = Transaction(
        kind=kind,
        idempotency_key=idempotency_key,
        params_hash=params_hash,
        user=user,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        memo=memo[:255],
        **{field: ("" if value is None and field in _TEXT_REFS else value) for field, value in refs.items()},
    )
    new_balances = {account.pk: locked[account.pk].balance + amount for account, amount in lockable}
    written = _write(txn, legs, new_balances)
    if not written:
        # The key was posted before, or by a racer that committed while this one waited for it.
        existing = _by_key(idempotency_key)
        if existing is None:  # pragma: no cover - the conflicting row was rolled back; let the caller retry
            raise IdempotencyConflict("A concurrent request with this key did not complete; try again.")
        return _replay(existing, params_hash)
    for account, _ in lockable:
        account.balance = new_balances[account.pk]
    return txn


@transaction.atomic(durable=True)
def transaction_post(
    *,
    kind: Any,
    idempotency_key: str,
    postings: Sequence[tuple[Account, Decimal]],
    user: Any = None,
    actor: Any = None,
    memo: str = "",
    **refs: Any,
) -> Transaction:
    """``ledger_post`` in a transaction of its own, for a caller whose whole use case is this posting."""
    return ledger_post(
        kind=kind, idempotency_key=idempotency_key, postings=postings, user=user, actor=actor, memo=memo, **refs
    )


# --- many transactions at once -----------------------------------------------------------------------


class _AccountRef:
    """The two things the parameter hash and the leg checks need of an account: its pk and code."""

    __slots__ = ("code", "kind", "pk")

    def __init__(self, pk: int, code: str, kind: str) -> None:
        self.pk, self.code, self.kind = pk, code, kind


class _UserRef:
    __slots__ = ("pk",)

    def __init__(self, pk: int | None) -> None:
        self.pk = pk


class BatchEntry:
    """One transaction of ``ledger_post_many``: postings are (account id, signed amount) pairs."""

    __slots__ = ("idempotency_key", "memo", "postings", "refs", "user_id")

    def __init__(
        self,
        *,
        idempotency_key: str,
        postings: Sequence[tuple[int, Decimal]],
        user_id: int | None = None,
        memo: str = "",
        **refs: Any,
    ) -> None:
        self.idempotency_key = idempotency_key
        self.postings = postings
        self.user_id = user_id
        self.memo = memo
        self.refs = _with_subject(refs)


class BatchResult:
    """What ``ledger_post_many`` did: ``posted`` maps each posted (or replayed) key to its transaction id;
    ``refused`` maps each refused key to the reason ("insufficient_funds" or "frozen")."""

    __slots__ = ("posted", "refused", "replayed")

    def __init__(self) -> None:
        self.posted: dict[str, int] = {}
        self.refused: dict[str, str] = {}
        self.replayed: set[str] = set()


def _binary_cursor() -> Any:
    """A psycopg cursor on Django's connection (same transaction) with server-side binding: ``%b`` sends a
    parameter in binary, so arrays of thousands of elements are not quoted into the statement text."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


_PLAIN_JSON = re.compile(r"^[A-Za-z0-9_:.\-]*$")


def _params_hash_many(kind: str, user_id: int | None, legs: list[tuple[Any, Decimal]]) -> str:
    """``_params_hash`` for batches: the same JSON text, formatted directly when no character needs escaping."""
    postings = sorted([account.code, str(amount)] for account, amount in legs)
    if not all(_PLAIN_JSON.match(code) for code, _ in postings) or not _PLAIN_JSON.match(str(kind)):
        return _params_hash(kind, _UserRef(user_id), legs)
    text = ", ".join(f'["{code}", "{amount}"]' for code, amount in postings)
    user = "null" if user_id is None else str(int(user_id))
    payload = f'{{"kind": "{kind}", "postings": [{text}], "user": {user}}}'
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_rows(account_ids: list[int]) -> dict[int, tuple[str, str, Decimal, bool]]:
    """(code, kind, balance, is_frozen) of the given accounts; lockable ones are locked FOR UPDATE in pk order.

    House accounts are read without a lock (their code and kind never change and their row is never updated).
    """
    rows: dict[int, tuple[str, str, Decimal, bool]] = {}
    with _binary_cursor() as cursor:
        cursor.execute(
            "SELECT id, code, kind, balance, is_frozen FROM wallet_account "
            "WHERE id = ANY(%b::bigint[]) AND kind = ANY(%b::text[]) ORDER BY id FOR UPDATE",
            [account_ids, sorted(str(kind) for kind in LOCKABLE_ACCOUNT_KINDS)],
        )
        for pk, code, kind, balance, is_frozen in cursor.fetchall():
            rows[pk] = (code, kind, balance, is_frozen)
        rest = [pk for pk in account_ids if pk not in rows]
        if rest:
            cursor.execute(
                "SELECT id, code, kind, balance, is_frozen FROM wallet_account WHERE id = ANY(%b::bigint[])", [rest]
            )
            for pk, code, kind, balance, is_frozen in cursor.fetchall():
                rows[pk] = (code, kind, balance, is_frozen)
    missing = set(account_ids) - set(rows)
    if missing:
        raise ValueError(f"Unknown accounts: {sorted(missing)}.")
    return rows


def _many_insert_sql(
    *, kind: Any, memo: str, to_write: list[tuple[BatchEntry, str, list[Any]]], balances: dict[int, Decimal]
) -> tuple[str, list[Any]]:
    """ONE statement writing the transactions, their postings and the new cached balances of a batch.

    Columns that differ per transaction are unnested from arrays; the others are constants. Placeholders
    are ``%b``: psycopg sends the parameters in binary (server-side binding).
    """
    rows = [entry for entry, _, _ in to_write]
    per_row: dict[str, list[Any]] = {
        "idempotency_key": [entry.idempotency_key for entry in rows],
        "params_hash": [params_hash for _, params_hash, _ in to_write],
        "user_id": [entry.user_id for entry in rows],
        "memo": [(entry.memo or memo)[:255] for entry in rows],
    }
    for name in sorted({name for entry in rows for name in entry.refs}):
        default = "" if name in _TEXT_REFS else None
        column = Transaction._meta.get_field(name).column  # type: ignore[union-attr]
        per_row[column] = [default if entry.refs.get(name) is None else entry.refs[name] for entry in rows]
    constants: dict[str, Any] = {"kind": str(kind), "created_at": timezone.now()}
    fields = [field for field in Transaction._meta.concrete_fields if not field.primary_key]
    select, params = [], []
    for field in fields:
        if field.column in per_row:
            select.append(f"v.{connection.ops.quote_name(field.column)}")
        elif field.column in constants:
            select.append(f"%b::{field.db_type(connection)}")
            params.append(constants[field.column])
        else:
            select.append("''" if field.name in _TEXT_REFS else "NULL")
    unnested = [field for field in fields if field.column in per_row]
    unnest_sql = ", ".join(f"%b::{field.db_type(connection)}[]" for field in unnested)
    alias = ", ".join(connection.ops.quote_name(field.column) for field in unnested)
    params += [per_row[field.column] for field in unnested]
    leg_keys, leg_accounts, leg_amounts = [], [], []
    for entry, _, legs in to_write:
        for account, amount in legs:
            leg_keys.append(entry.idempotency_key)
            leg_accounts.append(account.pk)
            leg_amounts.append(amount)
    params += [leg_keys, leg_accounts, leg_amounts]
    touched = sorted({account.pk for _, _, legs in to_write for account, _ in legs if account.pk in balances})
    params += [touched, [balances[pk] for pk in touched]]
    column_sql = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = (
        f"WITH t AS (INSERT INTO wallet_transaction ({column_sql}) "  # noqa: S608  # nosec B608: model columns, values are parameters
        f"SELECT {', '.join(select)} FROM unnest({unnest_sql}) AS v({alias}) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key), "
        "p AS (INSERT INTO wallet_posting (transaction_id, account_id, amount) "
        "SELECT t.id, l.account_id, l.amount FROM t "
        "JOIN unnest(%b::text[], %b::bigint[], %b::numeric[]) AS l(key, account_id, amount) "
        "ON l.key = t.idempotency_key), "
        # The rows are locked by this transaction (_lock_rows), so the computed balances are exact.
        "u AS (UPDATE wallet_account AS a SET balance = b.balance "
        "FROM unnest(%b::bigint[], %b::numeric[]) AS b(id, balance) WHERE a.id = b.id) "
        "SELECT idempotency_key, id FROM t"
    )
    return sql, params


def ledger_post_many(*, kind: Any, entries: Sequence[BatchEntry], memo: str = "") -> BatchResult:
    """Post many independent transactions of one ``kind`` with a handful of statements, whatever their number.

    The set-based twin of ``ledger_post`` for periodic jobs (the reading billing tick): the same rules hold
    for every entry (legs valid and balanced, keys unique, replays return the first transaction and a key
    reused with other parameters raises ``IdempotencyConflict``, lockable accounts locked in primary-key
    order and re-read, a wallet or hold never below zero, frozen accounts pay only chargebacks and refunds).
    Unlike ``ledger_post``, an entry that cannot be paid does not raise: it is left out and listed in
    ``refused``; entries are applied in the given order, so earlier entries spend first.

    Inner helper: the caller holds the transaction.
    """
    _require_atomic()
    result = BatchResult()
    if not entries:
        return result
    if kind not in _TRANSACTION_KINDS:
        raise ValueError(f"Unknown transaction kind {kind!r}.")
    keys = [entry.idempotency_key for entry in entries]
    if len(set(keys)) != len(keys):
        raise ValueError("Each entry of a batch needs its own idempotency key.")
    for entry in entries:
        if not entry.idempotency_key or len(entry.idempotency_key) > 200:
            raise ValueError("An idempotency key of 1 to 200 characters is required.")
        unknown = set(entry.refs) - REFERENCE_FIELDS
        if unknown:
            raise ValueError(f"Unknown transaction references: {sorted(unknown)}.")

    account_ids = sorted({pk for entry in entries for pk, _ in entry.postings})
    rows = _lock_rows(account_ids)
    refs = {pk: _AccountRef(pk, code, account_kind) for pk, (code, account_kind, _, _) in rows.items()}
    balances = {
        pk: balance for pk, (_, account_kind, balance, _) in rows.items() if account_kind in LOCKABLE_ACCOUNT_KINDS
    }
    frozen = {pk for pk, (_, _, _, is_frozen) in rows.items() if is_frozen}

    # Checked after the locks: a racer with the same key may have committed while this one waited.
    with _binary_cursor() as cursor:
        cursor.execute(
            "SELECT idempotency_key, id, params_hash FROM wallet_transaction WHERE idempotency_key = ANY(%b::text[])",
            [keys],
        )
        existing = {key: (pk, params_hash) for key, pk, params_hash in cursor.fetchall()}

    to_write: list[tuple[BatchEntry, str, list[tuple[_AccountRef, Decimal]]]] = []
    for entry in entries:
        legs = _validated_legs([(refs[pk], amount) for pk, amount in entry.postings])
        params_hash = _params_hash_many(kind, entry.user_id, legs)
        key = entry.idempotency_key
        if key in existing:
            pk, first_hash = existing[key]
            if first_hash != params_hash:
                raise IdempotencyConflict(f"The idempotency key {key!r} was already used for a different transaction.")
            result.posted[key] = pk
            result.replayed.add(key)
            continue
        lockable = [(account, amount) for account, amount in legs if account.kind in LOCKABLE_ACCOUNT_KINDS]
        if any(amount < 0 and account.pk in frozen for account, amount in lockable) and kind not in FROZEN_DEBIT_KINDS:
            result.refused[key] = "frozen"
            continue
        if any(
            amount < 0 and account.kind in NON_NEGATIVE_ACCOUNT_KINDS and balances[account.pk] + amount < 0
            for account, amount in lockable
        ):
            result.refused[key] = "insufficient_funds"
            continue
        for account, amount in lockable:
            balances[account.pk] += amount
        to_write.append((entry, params_hash, legs))  # type: ignore[arg-type]
    if not to_write:
        return result

    sql, params = _many_insert_sql(kind=kind, memo=memo, to_write=to_write, balances=balances)
    with _binary_cursor() as cursor:
        cursor.execute(sql, params)
        written = dict(cursor.fetchall())
    if len(written) != len(to_write):
        # A racer inserted one of these keys without sharing a locked account; the balances written above
        # would be wrong, so the whole batch must roll back (the caller's transaction) and be retried.
        raise IdempotencyConflict("A concurrent request used one of these keys; try the batch again.")
    result.posted.update(written)
    return result


def money_returned_to_card_postings(*, user: Any, amount: Decimal) -> tuple[list[tuple[Account, Decimal]], Decimal]:
    """Postings for money that leaves through Stripe back to the card (a refund or a chargeback).

    ``stripe:cash`` pays ``amount`` out; the client's wallet gives what it still holds and ``platform:losses``
    carries the rest, so a wallet never goes below zero (SPEC §3). Returns the postings and the part taken
    from the wallet. Inner helper: the caller holds the transaction; the wallet row is locked here so the
    amount it gives is exact.
    """
    wallet = wallet_account(user)
    held = accounts_lock([wallet.pk])[wallet.pk].balance
    from_wallet = min(amount, max(held, Decimal("0.00")))
    postings: list[tuple[Account, Decimal]] = [(house_account("stripe:cash"), amount)]
    if from_wallet:
        postings.append((wallet, -from_wallet))
    if amount - from_wallet:
        postings.append((house_account("platform:losses"), -(amount - from_wallet)))
    return postings, from_wallet
