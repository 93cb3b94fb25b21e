"""Held payments: money taken from a payer before a service is delivered, kept in the hold of its subject,
then paid to the reader and the platform, or given back (SPEC §3).

Every held payment goes through these three helpers, whatever its domain (a reading's minutes, a refund on
its way to the card, and next bookings, shop orders and payouts):

- ``hold_fund``: the payer's wallet → ``hold:<subject type>:<id>``;
- ``hold_release``: the hold → back to the payer's wallet, the whole of it or a part;
- ``hold_settle``: the hold → the reader's share to ``earnings:<reader>`` and the rest to ``platform:revenue``,
  only when the hold holds exactly ``expected_amount``, and leaving it at exactly zero.

They are inner helpers on top of ``ledger_post``: the caller holds the durable transaction (and locks its
own rows first). Each transaction carries the subject pair, and its idempotency key is derived from the
fact: ``<subject type>:<id>:<fact>`` (``session:42:minute:3``, ``session:42:settlement``) unless the caller
keeps a key it already used (``refund-hold:<id>``). A subject type must be registered (``hold_subjects``).
"""

from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction

from apps.wallet.exceptions import HoldNotSettled
from apps.wallet.hold_subjects import hold_subject_get
from apps.wallet.locks import accounts_lock
from apps.wallet.models import Account, Transaction
from apps.wallet.services.ledger import BatchEntry, hold_account, ledger_post, money, wallet_account
from apps.wallet.services.shares import reader_share_postings


def hold_key(subject_type: str, subject_id: int, fact: str) -> str:
    """The idempotency key of one fact about a subject's hold: ``<subject type>:<id>:<fact>``."""
    return f"{subject_type}:{int(subject_id)}:{fact}"


def hold_find(subject_type: str, subject_id: int) -> Account | None:
    """The hold of a subject if it was ever funded (created), else None. Never creates one."""
    hold_subject_get(subject_type)
    return Account.objects.filter(subject_type=subject_type, subject_id=int(subject_id)).first()


def _subject_refs(subject_type: str, subject_id: int, refs: dict[str, Any]) -> dict[str, Any]:
    return {**refs, "subject_type": subject_type, "subject_id": int(subject_id)}


def hold_fund(
    *,
    subject_type: str,
    subject_id: int,
    payer: Any,
    amount: Decimal,
    kind: Any,
    fact: str = "fund",
    idempotency_key: str | None = None,
    actor: Any = None,
    memo: str = "",
    **refs: Any,
) -> Transaction:
    """Move ``amount`` from ``payer``'s wallet into the subject's hold (created on first use).

    Refused with nothing written: ``InsufficientFunds``, ``AccountFrozen`` (as ``ledger_post``). The same
    fact again returns the first transaction. Inner helper: the caller holds the transaction.
    """
    amount = money(amount)
    hold = hold_account(subject_type, subject_id)
    return ledger_post(
        kind=kind,
        idempotency_key=idempotency_key or hold_key(subject_type, subject_id, fact),
        postings=[(wallet_account(payer), -amount), (hold, amount)],
        user=payer,
        actor=actor,
        memo=memo,
        **_subject_refs(subject_type, subject_id, refs),
    )


def hold_fund_entry(
    *,
    subject_type: str,
    subject_id: int,
    payer_id: int,
    wallet_account_id: int,
    hold_account_id: int,
    amount: Decimal,
    fact: str,
    memo: str = "",
    **refs: Any,
) -> BatchEntry:
    """``hold_fund`` as one entry of ``ledger_post_many``, for periodic jobs that fund many holds at once (the
    reading billing tick): the same key, postings and subject as ``hold_fund`` writes, so whichever of the
    two runs first wins and the other replays. The accounts are given by id (the job has them already)."""
    hold_subject_get(subject_type)
    amount = money(amount)
    return BatchEntry(
        idempotency_key=hold_key(subject_type, subject_id, fact),
        postings=[(wallet_account_id, -amount), (hold_account_id, amount)],
        user_id=payer_id,
        memo=memo,
        **_subject_refs(subject_type, subject_id, refs),
    )


def hold_release(
    *,
    subject_type: str,
    subject_id: int,
    payer: Any,
    kind: Any,
    amount: Decimal | None = None,
    fact: str = "release",
    idempotency_key: str | None = None,
    actor: Any = None,
    memo: str = "",
    **refs: Any,
) -> Transaction | None:
    """Give money of the subject's hold back to ``payer``'s wallet: ``amount``, or all it holds when None.

    Returns the transaction (the first one when this fact was released before), or None when there is
    nothing to release (no hold, or an empty one). A part larger than the hold raises ``InsufficientFunds``
    with nothing written. Inner helper: the caller holds the transaction.
    """
    hold = hold_find(subject_type, subject_id)
    if hold is None:
        return None
    key = idempotency_key or hold_key(subject_type, subject_id, fact)
    wallet = wallet_account(payer)
    held = accounts_lock([wallet.pk, hold.pk])[hold.pk].balance
    if amount is None:
        # Read under the hold's lock: a release already posted for this fact is returned as it was.
        existing = Transaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        amount = held
    amount = money(amount)
    if amount <= 0:
        return None
    return ledger_post(
        kind=kind,
        idempotency_key=key,
        postings=[(hold, -amount), (wallet, amount)],
        user=payer,
        actor=actor,
        memo=memo,
        **_subject_refs(subject_type, subject_id, refs),
    )


class HoldSettlement(NamedTuple):
    transaction: Transaction | None
    amount: Decimal
    reader_amount: Decimal
    platform_amount: Decimal


def hold_settle(
    *,
    subject_type: str,
    subject_id: int,
    reader: Any,
    expected_amount: Decimal,
    kind: Any,
    rate: Decimal | None = None,
    fact: str = "settlement",
    idempotency_key: str | None = None,
    user: Any = None,
    actor: Any = None,
    memo: str = "",
    **refs: Any,
) -> HoldSettlement:
    """Pay the whole hold of a subject out: the reader's share (``reader_share_postings``, at ``rate`` or the
    reader's rate) to ``earnings:<reader>``, the rest to ``platform:revenue``.

    The hold must hold exactly ``expected_amount`` (what the subject says it charged) and ends at exactly
    zero; otherwise ``HoldNotSettled`` and nothing is written. A settlement of this fact posted before is
    returned as it was (``IdempotencyConflict`` if it moved other money). Nothing to settle (no hold, an
    expected amount of zero) returns a settlement without a transaction. Inner helper: the caller holds the
    transaction.
    """
    expected = money(expected_amount)
    if expected < 0:
        raise ValueError("A hold never holds less than zero.")
    key = idempotency_key or hold_key(subject_type, subject_id, fact)
    hold = hold_find(subject_type, subject_id)
    held = Decimal("0.00") if hold is None else accounts_lock([hold.pk])[hold.pk].balance
    # Read under the hold's lock: a settlement posted before is replayed, not refused for the empty hold.
    replay = hold is not None and Transaction.objects.filter(idempotency_key=key).exists()
    if not replay and held != expected:
        code = hold.code if hold is not None else f"hold:{subject_type}:{int(subject_id)}"
        raise HoldNotSettled(f"The hold {code} holds {held}, but {expected} was charged.")
    if hold is None or expected == 0:
        return HoldSettlement(None, expected, Decimal("0.00"), Decimal("0.00"))
    shares = reader_share_postings(amount=expected, reader=reader, source_account=hold, rate=rate)
    with transaction.atomic():  # a savepoint: a hold left non-zero takes its posting with it
        txn = ledger_post(
            kind=kind,
            idempotency_key=key,
            postings=shares.postings,
            user=reader if user is None else user,
            actor=actor,
            memo=memo,
            **_subject_refs(subject_type, subject_id, refs),
        )
        left = accounts_lock([hold.pk])[hold.pk].balance
        if left != 0:
            raise HoldNotSettled(f"The hold {hold.code} still holds {left} after its settlement.")
    return HoldSettlement(txn, expected, shares.reader_amount, shares.platform_amount)
