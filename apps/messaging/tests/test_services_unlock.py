import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection

from apps.accounts.tests.factories import UserFactory
from apps.core.models import AuditLog
from apps.messaging import services
from apps.messaging.enums import NotificationKind
from apps.messaging.exceptions import MessageNotFound, NotUnlockable
from apps.messaging.models import Message
from apps.notifications.models import Notification
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import InsufficientFunds
from apps.wallet.models import Account, Posting, Transaction
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.ledger import earnings_account, house_account

from .factories import conversation_with, fund_wallet, paid_reply

D = Decimal


@pytest.mark.django_db
def test_message_unlock_with_funds_debits_splits_links_and_audits(client_user):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, "The tower means change.", price=D("2.99"))
    fund_wallet(client_user, D("10.00"))
    # when
    unlocked = services.message_unlock(actor=client_user, message_id=reply.pk)
    # then
    txn = Transaction.objects.get(kind=TransactionKind.PAID_REPLY)
    assert unlocked.unlocked_at is not None and unlocked.transaction_id == txn.pk
    assert txn.idempotency_key == f"paid_reply:{reply.pk}:unlock"
    legs = {p.account.code: p.amount for p in Posting.objects.filter(transaction=txn).select_related("account")}
    assert legs == {
        f"wallet:{client_user.pk}": D("-2.99"),
        f"earnings:{conversation.reader_id}": D("2.09"),
        "platform:revenue": D("0.90"),
    }
    assert wallet_balance(user=client_user) == D("7.01")
    assert balance_of(earnings_account(conversation.reader)) == D("2.09")
    audit = AuditLog.objects.get(action="messaging.paid_reply_unlocked")
    assert audit.target_id == str(reply.pk) and audit.details["transaction_id"] == txn.pk
    assert "tower" not in str(audit.details)
    note = Notification.objects.get(user=conversation.reader, kind=NotificationKind.REPLY_UNLOCKED)
    assert "$2.09" in note.title and "tower" not in note.title + note.body


@pytest.mark.django_db
def test_message_unlock_twice_debits_once(client_user):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, "Answer", price=D("2.00"))
    fund_wallet(client_user, D("5.00"))
    # when
    services.message_unlock(actor=client_user, message_id=reply.pk)
    services.message_unlock(actor=client_user, message_id=reply.pk)
    # then
    assert Transaction.objects.filter(kind=TransactionKind.PAID_REPLY).count() == 1
    assert wallet_balance(user=client_user) == D("3.00")
    assert AuditLog.objects.filter(action="messaging.paid_reply_unlocked").count() == 1


@pytest.mark.django_db
def test_message_unlock_without_funds_writes_nothing(client_user):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, "Hidden wisdom", price=D("5.00"))
    fund_wallet(client_user, D("4.99"))
    before = (
        Transaction.objects.count(),
        Posting.objects.count(),
        Account.objects.count(),
        AuditLog.objects.count(),
        Notification.objects.count(),
    )
    # when
    with pytest.raises(InsufficientFunds):
        services.message_unlock(actor=client_user, message_id=reply.pk)
    # then
    reply.refresh_from_db()
    assert reply.unlocked_at is None and reply.transaction_id is None
    assert wallet_balance(user=client_user) == D("4.99")
    after = (
        Transaction.objects.count(),
        Posting.objects.count(),
        Account.objects.count(),
        AuditLog.objects.count(),
        Notification.objects.count(),
    )
    assert after == before


@pytest.mark.django_db
def test_message_unlock_without_any_wallet_writes_nothing(client_user):
    # given: the client never topped up, so there is no wallet account yet
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, "Hidden wisdom", price=D("1.00"))
    # when
    with pytest.raises(InsufficientFunds):
        services.message_unlock(actor=client_user, message_id=reply.pk)
    # then
    assert not Account.objects.exists()
    assert not Transaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["stranger", "reader", "other_client"])
def test_message_unlock_by_anyone_but_the_client_not_found(client_user, who):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, "Answer")
    actor = {"stranger": UserFactory(), "reader": conversation.reader, "other_client": conversation_with().client}[who]
    fund_wallet(actor, D("10.00"))
    # when
    with pytest.raises(MessageNotFound):
        services.message_unlock(actor=actor, message_id=reply.pk)
    # then
    assert not Transaction.objects.filter(kind=TransactionKind.PAID_REPLY).exists()


@pytest.mark.django_db
def test_message_unlock_free_or_hidden_reply_refused(client_user):
    # given
    conversation = conversation_with(client=client_user)
    free = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Free")
    hidden = paid_reply(conversation, "Removed")
    Message.objects.filter(pk=hidden.pk).update(hidden_at=hidden.created_at)
    fund_wallet(client_user, D("10.00"))
    # when / then
    with pytest.raises(NotUnlockable):
        services.message_unlock(actor=client_user, message_id=free.pk)
    with pytest.raises(NotUnlockable):
        services.message_unlock(actor=client_user, message_id=hidden.pk)
    assert wallet_balance(user=client_user) == D("10.00")


def _run_in_threads(count, work):
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:  # inspected by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    close_old_connections()
    return results


@pytest.mark.django_db(transaction=True)
def test_message_unlock_concurrent_same_reply_debits_once():
    # given
    conversation = conversation_with()
    client = conversation.client
    reply = paid_reply(conversation, "Only once", price=D("3.00"))
    fund_wallet(client, D("20.00"))
    # when
    results = _run_in_threads(6, lambda _: services.message_unlock(actor=client, message_id=reply.pk))
    # then
    assert all(isinstance(result, Message) for result in results), results
    assert len({result.transaction_id for result in results}) == 1
    assert Transaction.objects.filter(kind=TransactionKind.PAID_REPLY).count() == 1
    assert wallet_balance(user=client) == D("17.00")
    assert balance_of(house_account("platform:revenue")) == D("-20.00") + D("0.90")
    assert AuditLog.objects.filter(action="messaging.paid_reply_unlocked").count() == 1
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_message_unlock_concurrent_replies_never_overdraw():
    # given: money for two of three replies
    conversation = conversation_with()
    client = conversation.client
    replies = [paid_reply(conversation, f"Reply {i}", price=D("2.00")) for i in range(3)]
    fund_wallet(client, D("4.00"))
    # when
    results = _run_in_threads(3, lambda i: services.message_unlock(actor=client, message_id=replies[i].pk))
    # then
    assert sum(isinstance(result, Message) for result in results) == 2
    assert sum(isinstance(result, InsufficientFunds) for result in results) == 1
    assert wallet_balance(user=client) == D("0.00")
    assert Message.objects.filter(unlocked_at__isnull=False).count() == 2
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_client_message_send_concurrent_messages_one_email_per_window():
    # given
    conversation = conversation_with()
    client, reader = conversation.client, conversation.reader
    # when
    results = _run_in_threads(
        4, lambda i: services.client_message_send(actor=client, reader_id=reader.pk, body=f"Quick {i}")
    )
    # then
    assert all(isinstance(result, Message) for result in results), results
    requested = Notification.objects.filter(user=reader, kind=NotificationKind.NEW_MESSAGE)
    assert requested.count() == 4
    assert requested.filter(email_requested=True).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stale_row", [False, True])
def test_email_batch_claim_racing_claims_win_once(stale_row):
    # given: no batch row yet, or one from more than 15 minutes ago
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from apps.messaging.models import EmailBatch

    conversation = conversation_with()
    if stale_row:
        EmailBatch.objects.create(
            conversation=conversation,
            recipient=conversation.reader,
            last_emailed_at=timezone.now() - timedelta(minutes=20),
        )

    def claim(_):
        with transaction.atomic():
            return services._email_batch_claim(
                conversation=conversation, recipient=conversation.reader, kind=NotificationKind.NEW_MESSAGE
            )

    # when
    results = _run_in_threads(6, claim)
    # then
    assert sorted(results) == [False] * 5 + [True]
    assert EmailBatch.objects.count() == 1
