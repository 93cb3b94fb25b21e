import time
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core import mail, signing
from django.core.files.storage import storages
from django.test import Client

from apps.accounts.models import User
from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.core.exceptions import InvalidInputError, InvalidStateError
from apps.core.models import AuditLog
from apps.core.outbox import outbox_drain
from apps.core.privacy import personal_data_blockers
from apps.notifications.models import Notification
from apps.payouts.selectors import earnings_available
from apps.privacy.constants import DELETION_GRACE
from apps.privacy.enums import DeletionStatus
from apps.privacy.exceptions import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    DeletionBlocked,
    NoDeletionRequest,
    WrongPassword,
)
from apps.privacy.models import DeletionRequest
from apps.privacy.services import (
    deletion_cancel,
    deletion_confirm,
    deletion_request,
    deletion_run_one,
    deletion_token,
    deletions_run,
)
from apps.readings.models import Review, SessionMessage
from apps.readings.services import session_request
from apps.readings.tests.helpers import credit, make_reader
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Dispute, TopUp
from apps.wallet.services.ledger import earnings_account, house_account, transaction_post
from apps.wallet.services.ledger_check import ledger_check_run

from .scan import rows_containing
from .world import person_with_data, shared_reader

pytestmark = pytest.mark.django_db

PASSWORD = DEFAULT_PASSWORD


def _confirmed(user, *, forfeit: bool = True) -> DeletionRequest:
    deletion = deletion_request(user=user, password=PASSWORD, forfeit_balance=forfeit)
    return deletion_confirm(user=user, token=deletion_token(deletion))


def test_deletion_request_with_a_wrong_password_is_refused_and_changes_nothing():
    # given
    user = UserFactory()
    # when / then
    with pytest.raises(WrongPassword):
        deletion_request(user=user, password="not it")
    assert not DeletionRequest.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="privacy.").exists()


def test_deletion_request_emails_a_signed_link_that_confirms_it():
    # given
    user = UserFactory()
    mail.outbox.clear()
    # when
    deletion = deletion_request(user=user, password=PASSWORD)
    outbox_drain()
    # then
    [email] = mail.outbox
    assert email.to == [user.email]
    link = next(word for word in email.body.split() if "/accounts/delete-account/confirm/?token=" in word)
    token = link.split("token=", 1)[1]
    confirmed = deletion_confirm(user=user, token=token)
    assert confirmed.pk == deletion.pk
    assert confirmed.status == DeletionStatus.SCHEDULED
    assert confirmed.scheduled_for - confirmed.confirmed_at == DELETION_GRACE
    assert list(
        AuditLog.objects.filter(target_id=str(deletion.pk), action__startswith="privacy.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["privacy.deletion_requested", "privacy.deletion_confirmed"]


def test_deletion_confirm_with_an_expired_link_is_refused(monkeypatch):
    # given: a link signed 25 hours ago
    user = UserFactory()
    deletion = deletion_request(user=user, password=PASSWORD)
    signed_at = time.time() - 25 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: signed_at)
    token = deletion_token(deletion)
    monkeypatch.undo()
    # when / then
    with pytest.raises(ConfirmationLinkExpired) as refused:
        deletion_confirm(user=user, token=token)
    assert refused.value.status_code == 410
    deletion.refresh_from_db()
    assert deletion.status == DeletionStatus.PENDING


def test_deletion_confirm_with_a_tampered_link_is_refused():
    user = UserFactory()
    deletion = deletion_request(user=user, password=PASSWORD)
    with pytest.raises(ConfirmationLinkInvalid):
        deletion_confirm(user=user, token=deletion_token(deletion) + "x")


def test_deletion_confirm_by_someone_else_is_not_found():
    # given
    user, other = UserFactory(), UserFactory()
    deletion = deletion_request(user=user, password=PASSWORD)
    # when / then
    with pytest.raises(NoDeletionRequest):
        deletion_confirm(user=other, token=deletion_token(deletion))
    deletion.refresh_from_db()
    assert deletion.status == DeletionStatus.PENDING


def test_deletion_cancel_in_the_grace_period_keeps_the_account():
    # given
    user = UserFactory()
    deletion = _confirmed(user)
    # when
    deletion_cancel(user=user)
    # then
    assert deletions_run(now=deletion.scheduled_for + timedelta(days=1)) == 0
    user.refresh_from_db()
    assert user.is_active and user.check_password(PASSWORD)
    deletion.refresh_from_db()
    assert deletion.status == DeletionStatus.CANCELLED
    assert AuditLog.objects.filter(action="privacy.deletion_cancelled", actor=user).exists()
    with pytest.raises(InvalidStateError):
        deletion_cancel(user=user)


def test_deletion_confirm_of_a_cancelled_request_is_refused():
    user = UserFactory()
    deletion = deletion_request(user=user, password=PASSWORD)
    token = deletion_token(deletion)
    deletion_cancel(user=user)
    with pytest.raises(InvalidStateError):
        deletion_confirm(user=user, token=token)


def test_deletions_run_before_the_grace_period_ends_does_nothing():
    user = UserFactory()
    deletion = _confirmed(user)
    assert deletions_run(now=deletion.scheduled_for - timedelta(minutes=1)) == 0
    user.refresh_from_db()
    assert user.is_active


def test_deletion_request_with_money_in_the_wallet_needs_it_given_up():
    # given
    user = UserFactory()
    credit(user, Decimal("3.50"))
    # when / then
    with pytest.raises(InvalidInputError, match=r"\$3.50"):
        deletion_request(user=user, password=PASSWORD)
    assert not DeletionRequest.objects.exists()
    assert deletion_request(user=user, password=PASSWORD, forfeit_balance=True).status == DeletionStatus.PENDING


def test_deletions_run_anonymises_every_trace_and_keeps_the_ledger_clean(django_capture_on_commit_callbacks):
    # given: two people with data everywhere sharing a reader; the first one deletes their account
    reader = shared_reader()
    amber = person_with_data("AmberMark", reader=reader)
    cobalt = person_with_data("CobaltMark", reader=reader)
    user = amber.user
    files = [(user.avatar.storage, user.avatar.name)] + [
        (application.photo.storage, application.photo.name) for application in user.reader_applications.all()
    ]
    assert all(storage.exists(name) for storage, name in files)
    review = Review.objects.get(client=user)
    deletion = _confirmed(user)
    outbox_drain()
    written_in = {row.rsplit(" #", 1)[0] for row in rows_containing([amber.marker, user.email])}
    assert len(written_in) >= 15, written_in  # the world wrote everywhere: the scan sees it
    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert deletions_run(now=deletion.scheduled_for + timedelta(minutes=1)) == 1
    # then: no table holds their email, names or anything they wrote (which many did before)
    left = rows_containing([amber.marker, user.email])
    assert left == [], left
    # the other person's data is untouched
    assert rows_containing([cobalt.marker])
    # their uploads are gone
    assert not any(storage.exists(name) for storage, name in files)
    # ledger rows stay with the anonymised account, and the ledger is still right
    assert ledger_check_run().is_ok
    user.refresh_from_db()
    assert user.ledger_accounts.filter(code=f"wallet:{user.pk}").exists()
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    # the review keeps its rating, the chat line its place
    review.refresh_from_db()
    assert (review.rating, review.body) == (4, "")
    assert SessionMessage.objects.filter(sender=user).exists()
    # sign-in is impossible
    assert not user.is_active and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert authenticate(email="ambermark@example.com", password=PASSWORD) is None
    assert not Client().login(email="ambermark@example.com", password=PASSWORD)
    deletion.refresh_from_db()
    assert deletion.status == DeletionStatus.COMPLETED
    assert AuditLog.objects.filter(action="privacy.account_deleted", target_id=str(user.pk), actor=None).exists()


def test_deletions_run_of_a_reader_removes_the_public_profile(django_capture_on_commit_callbacks):
    # given: a reader with a published profile and photo (names no other row could contain), reviewed by a client
    reader = shared_reader()
    User.objects.filter(pk=reader.pk).update(email="juniperreader@example.com", display_name="Juniper Quillfeather")
    type(reader.reader_profile).objects.filter(user=reader).update(
        display_name="Juniper Starquill", headline="Juniperlight guidance"
    )
    reader.refresh_from_db()
    client = person_with_data("IvyMark", reader=reader)
    names = ["juniperreader", "Juniper Quillfeather", "Juniper Starquill", "Juniperlight"]
    assert len(rows_containing(names)) > 3  # profile, user, email address, the client's notifications
    profile = reader.reader_profile
    photo = profile.photo.name
    assert photo and storages["public"].exists(photo)
    assert earnings_available(reader=reader) > 0
    # then: their earnings block it
    with pytest.raises(DeletionBlocked, match="earnings not paid out"):
        deletion_request(user=reader, password=PASSWORD)
    # given: paid out (the earnings leave for the reader's bank, as a paid payout ends up)
    earned = earnings_available(reader=reader)
    transaction_post(
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key=f"test-payout:{reader.pk}",
        postings=[(earnings_account(reader), -earned), (house_account("stripe:cash"), earned)],
        user=reader,
    )
    deletion = _confirmed(reader)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert deletion_run_one(request_id=deletion.pk, now=deletion.scheduled_for) is True
    # then
    profile.refresh_from_db()
    assert (profile.display_name, profile.bio, profile.photo.name, profile.is_published) == (
        "Former reader",
        "",
        "",
        False,
    )
    assert not storages["public"].exists(photo)
    left = rows_containing(names)
    assert left == [], left
    review = Review.objects.get(client=client.user)
    assert review.rating == 4 and review.reply_body == "[Removed when the account was deleted.]"
    assert ledger_check_run().is_ok


def test_deletion_blockers_name_each_reason():
    # given: a client waiting for a reading, with an open dispute
    client = UserFactory()
    reader = make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("10.00"))
    session_request(client=client, reader=reader, modality="text")
    topup = TopUp.objects.create(user=client, amount=Decimal("10.00"), status=TopUp.Status.PAID)
    Dispute.objects.create(stripe_dispute_id="dp_1", topup=topup, user=client, amount=Decimal("10.00"))
    # when
    reasons = personal_data_blockers(client)
    # then
    assert any("reading of yours is still in progress" in reason for reason in reasons)
    assert any("dispute" in reason for reason in reasons)
    with pytest.raises(DeletionBlocked) as refused:
        deletion_request(user=client, password=PASSWORD, forfeit_balance=True)
    assert refused.value.reasons == reasons
    assert not DeletionRequest.objects.exists()


def test_deletions_run_while_blocked_waits_and_tells_the_user_once():
    # given: confirmed, then a reading starts before the grace period ends
    client = UserFactory()
    reader = make_reader(rate=Decimal("1.00"))
    deletion = _confirmed(client)
    credit(client, Decimal("10.00"))
    session_request(client=client, reader=reader, modality="text")
    due = deletion.scheduled_for + timedelta(minutes=1)
    # when
    assert deletions_run(now=due) == 0
    assert deletions_run(now=due + timedelta(hours=1)) == 0
    # then
    deletion.refresh_from_db()
    assert deletion.status == DeletionStatus.SCHEDULED
    assert any("in progress" in reason for reason in deletion.blocked_reasons)
    assert Notification.objects.filter(user=client, kind="account.deletion_waiting").count() == 1
    client.refresh_from_db()
    assert client.is_active


def test_deletion_request_while_scheduled_is_refused():
    user = UserFactory()
    _confirmed(user)
    with pytest.raises(InvalidStateError):
        deletion_request(user=user, password=PASSWORD)
    assert User.objects.get(pk=user.pk).is_active


def test_deletion_request_past_five_a_day_is_rate_limited():
    from apps.core.exceptions import RateLimitedError

    user = UserFactory()
    for _ in range(5):
        deletion_request(user=user, password=PASSWORD)
    with pytest.raises(RateLimitedError):
        deletion_request(user=user, password=PASSWORD)
    assert DeletionRequest.objects.filter(user=user).count() == 1
