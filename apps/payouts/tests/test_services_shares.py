"""The per-reader revenue share: set by admins within bounds (audited), read by every earning path through the
wallet's ``reader_rate``, and snapshotted by a reading when it is requested."""

from decimal import Decimal

import pytest

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.core.models import AuditLog
from apps.messaging.services import message_unlock
from apps.messaging.tests.factories import conversation_with, paid_reply
from apps.payouts.exceptions import ReaderNotFound, ShareRateInvalid
from apps.payouts.models import PayoutAccount
from apps.payouts.services import payout_share_rate_set
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.tests.helpers import credit, make_reader
from apps.wallet.services.shares import reader_rate

from .helpers import earnings, ledger_clean

pytestmark = pytest.mark.django_db


def test_reader_rate_without_override_is_the_platform_rate():
    # given a reader nobody set a rate for
    reader = make_reader()
    # then the wallet reads the platform's 0.70
    assert reader_rate(reader) == Decimal("0.70")


def test_payout_share_rate_set_within_bounds_is_read_by_the_wallet_and_audited():
    # given a reader and an admin
    reader, admin = make_reader(), AdminFactory()
    # when the admin sets 0.80
    payout_share_rate_set(actor=admin, reader_id=reader.pk, rate="0.80")
    # then every earning path reads 0.80, and the change is audited with before and after
    assert reader_rate(reader) == Decimal("0.8000")
    log = AuditLog.objects.get(action="payouts.share_rate_set")
    assert log.actor == admin and log.details["from"] is None and log.details["to"] == "0.8000"


@pytest.mark.parametrize("rate", ["0.49", "0.91", "1", "-0.7", "lots"])
def test_payout_share_rate_set_out_of_bounds_is_refused_and_changes_nothing(rate):
    # given a reader at 0.75
    reader, admin = make_reader(), AdminFactory()
    payout_share_rate_set(actor=admin, reader_id=reader.pk, rate="0.75")
    # when an admin tries an out-of-bounds or malformed rate
    with pytest.raises(ShareRateInvalid):
        payout_share_rate_set(actor=admin, reader_id=reader.pk, rate=rate)
    # then the rate and the audit trail are as before
    assert PayoutAccount.objects.get(reader=reader).share_rate == Decimal("0.7500")
    assert AuditLog.objects.filter(action="payouts.share_rate_set").count() == 1


def test_payout_share_rate_set_back_to_default_clears_the_override():
    reader, admin = make_reader(), AdminFactory()
    payout_share_rate_set(actor=admin, reader_id=reader.pk, rate="0.60")
    # when the admin clears it
    payout_share_rate_set(actor=admin, reader_id=reader.pk, rate=None)
    # then the platform's rate applies again
    assert reader_rate(reader) == Decimal("0.70")


def test_payout_share_rate_set_on_a_client_is_not_found():
    with pytest.raises(ReaderNotFound):
        payout_share_rate_set(actor=AdminFactory(), reader_id=UserFactory().pk, rate="0.80")


def test_reading_snapshots_the_rate_when_requested_and_settles_at_it():
    # given a reader at 0.80 and a client with money
    reader, client, admin = make_reader(rate=Decimal("10.00")), UserFactory(), AdminFactory()
    payout_share_rate_set(actor=admin, reader_id=reader.pk, rate="0.80")
    credit(client, Decimal("50.00"))
    # when a reading is requested, and only then the admin lowers the rate
    reading = session_request(client=client, reader=reader, modality="text")
    payout_share_rate_set(actor=admin, reader_id=reader.pk, rate="0.50")
    session_accept(reader=reader, session_id=reading.pk)
    session_end(actor=client, session_id=reading.pk)
    reading = session_finalize(session_id=reading.pk)
    # then the reading kept 0.80: the reader earns 80% of the $10.00 minute
    assert reading.reader_rate == Decimal("0.8000")
    assert earnings(reader) == Decimal("8.00")
    ledger_clean()


def test_paid_reply_is_split_at_the_rate_in_force_when_it_is_unlocked():
    # given a reader at 0.90 with a $3.00 paid reply
    reader, client = make_reader(), UserFactory()
    payout_share_rate_set(actor=AdminFactory(), reader_id=reader.pk, rate="0.90")
    credit(client, Decimal("5.00"))
    reply = paid_reply(conversation_with(client=client, reader=reader), "Yes.", price=Decimal("3.00"))
    # when the client unlocks it
    message_unlock(actor=client, message_id=reply.pk)
    # then the reader earns 90% (the ledger transaction is the reply's record of the split)
    assert earnings(reader) == Decimal("2.70")
    ledger_clean()
