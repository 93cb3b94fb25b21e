from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.messaging import services
from apps.messaging.constants import SEND_RATE_LIMIT
from apps.messaging.models import Conversation, Message
from apps.wallet.models import Transaction
from apps.wallet.selectors import wallet_balance

from .factories import conversation_with, fund_wallet, listed_reader, paid_reply

pytestmark = pytest.mark.django_db
SECRET = "SECRET-ANSWER-42"


def _urls(conversation, reply):
    return [
        reverse("messaging:inbox"),
        reverse("messaging:conversation", args=[conversation.pk]),
        reverse("messaging:poll", args=[conversation.pk]) + "?after=0",
        reverse("messaging:older", args=[conversation.pk]) + f"?before={reply.pk + 1}",
        reverse("messaging:search") + "?q=Your",
        reverse("messaging:search") + "?q=ANSWER",
        reverse("messaging:unlock", args=[reply.pk]),
        reverse("notifications:list"),
    ]


def test_views_locked_paid_reply_never_in_any_page_or_partial(client, client_user):
    # given: the reply arrives through the service (so its notification exists too)
    conversation = conversation_with(client=client_user)
    services.reader_reply_send(
        actor=conversation.reader,
        conversation_id=conversation.pk,
        body=f"Your {SECRET}",
        is_paid=True,
        price_amount="2.50",
    )
    reply = Message.objects.get(is_paid=True)
    client.force_login(client_user)
    # when
    responses = {url: client.get(url) for url in _urls(conversation, reply)}
    # then
    for url, response in responses.items():
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url
    page = responses[reverse("messaging:conversation", args=[conversation.pk])].content.decode()
    assert "$2.50" in page and reverse("messaging:unlock", args=[reply.pk]) in page
    assert "None of your messages" in responses[reverse("messaging:search") + "?q=Your"].content.decode()


def test_views_paid_reply_readable_after_unlock(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, f"Your {SECRET}", price=Decimal("2.00"))
    fund_wallet(client_user, Decimal("5.00"))
    client.force_login(client_user)
    # when
    response = client.post(reverse("messaging:unlock", args=[reply.pk]), follow=True)
    # then
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert wallet_balance(user=client_user) == Decimal("3.00")
    reply.refresh_from_db()
    receipt = reverse("wallet:transaction_detail", args=[reply.transaction_id])
    assert receipt in response.content.decode()
    assert client.get(receipt).status_code == 200


def test_views_unlock_without_funds_offers_top_up_reveals_and_writes_nothing(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, f"Your {SECRET}", price=Decimal("2.00"))
    fund_wallet(client_user, Decimal("1.00"))
    transactions = Transaction.objects.count()
    client.force_login(client_user)
    # when
    response = client.post(reverse("messaging:unlock", args=[reply.pk]))
    # then
    body = response.content.decode()
    assert response.status_code == 402
    assert "Top up your wallet" in body
    assert SECRET not in body
    assert Transaction.objects.count() == transactions
    reply.refresh_from_db()
    assert reply.unlocked_at is None


def test_views_unlock_confirmation_shows_price_before_paying(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, "x", price=Decimal("7.25"))
    client.force_login(client_user)
    # when
    response = client.get(reverse("messaging:unlock", args=[reply.pk]))
    # then
    assert "Pay $7.25 and read the reply" in response.content.decode()
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("who", ["other_client", "other_reader", "admin", "reader_of_other_conversation"])
def test_views_conversation_of_others_is_404(client, client_user, admin_user, who):
    # given
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, f"Your {SECRET}")
    outsider = {
        "other_client": UserFactory(),
        "other_reader": ReaderFactory(),
        "admin": admin_user,
        "reader_of_other_conversation": conversation_with().reader,
    }[who]
    fund_wallet(outsider, Decimal("10.00"))
    client.force_login(outsider)
    # when
    gets = [client.get(url) for url in [*_urls(conversation, reply)[1:4], _urls(conversation, reply)[6]]]
    posts = [
        client.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": "Hi"}),
        client.post(reverse("messaging:block", args=[conversation.pk]), {"blocked": "1"}),
        client.post(reverse("messaging:unlock", args=[reply.pk])),
    ]
    # then
    assert [r.status_code for r in gets + posts] == [404] * 7
    assert conversation.messages.count() == 2
    reply.refresh_from_db()
    assert reply.unlocked_at is None


def test_views_anonymous_redirected_to_sign_in(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    # when
    response = client.get(reverse("messaging:conversation", args=[conversation.pk]))
    # then
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_views_send_over_rate_limit_shows_clear_message(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    client.force_login(client_user)
    url = reverse("messaging:conversation", args=[conversation.pk])
    for index in range(SEND_RATE_LIMIT):
        assert client.post(url, {"body": f"Message {index}"}).status_code == 302
    # when
    response = client.post(url, {"body": "Eleventh"})
    # then
    assert response.status_code == 400
    assert "up to 10 messages a minute" in response.content.decode()
    assert not Message.objects.filter(body="Eleventh").exists()


def test_views_reader_reply_paid_with_price(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    client.force_login(conversation.reader)
    # when
    response = client.post(
        reverse("messaging:conversation", args=[conversation.pk]),
        {"body": "Paid answer", "is_paid": "on", "price_amount": "3.00"},
    )
    # then
    assert response.status_code == 302
    reply = Message.objects.get(sender=conversation.reader)
    assert reply.is_paid and reply.price_amount == Decimal("3.00")


def test_views_start_opens_conversation_and_reuses_it(client, client_user):
    # given
    profile = listed_reader()
    client.force_login(client_user)
    url = reverse("messaging:start", args=[profile.pk])
    # when
    first = client.post(url, {"body": "Hello"})
    again = client.get(url)
    # then
    conversation = Conversation.objects.get(client=client_user, reader=profile.user)
    target = reverse("messaging:conversation", args=[conversation.pk])
    assert first["Location"] == target and again["Location"] == target


def test_views_start_by_reader_refused(client, reader_user):
    # given
    profile = listed_reader()
    client.force_login(reader_user)
    # when
    response = client.post(reverse("messaging:start", args=[profile.pk]), {"body": "Hello"})
    # then
    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_views_block_and_unblock(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    client.force_login(client_user)
    url = reverse("messaging:block", args=[conversation.pk])
    # when
    client.post(url, {"blocked": "1"})
    conversation.refresh_from_db()
    blocked = conversation.is_blocked
    client.force_login(conversation.reader)
    refused = client.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": "Hello?"})
    client.force_login(client_user)
    client.post(url, {"blocked": "0"})
    conversation.refresh_from_db()
    # then
    assert blocked and not conversation.is_blocked
    assert refused.status_code == 400 and "does not accept messages" in refused.content.decode()


def test_views_message_text_escaped_and_links_safe(client, client_user):
    # given
    conversation_with(client=client_user, first_message="<script>alert(1)</script> see https://example.com/a?b=1&c=2")
    client.force_login(client_user)
    # when
    body = client.get(reverse("messaging:conversation", args=[Conversation.objects.get().pk])).content.decode()
    # then
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">' in body


def test_views_opening_conversation_marks_read_and_badge_counts(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    services.reader_reply_send(actor=conversation.reader, conversation_id=conversation.pk, body="Hi")
    client.force_login(client_user)
    before = client.get(reverse("messaging:unread_badge")).content.decode()
    # when
    client.get(reverse("messaging:conversation", args=[conversation.pk]))
    after = client.get(reverse("messaging:unread_badge")).content.decode()
    # then
    assert ">1<" in before and " unread<" in before
    assert " unread<" not in after and "badge-pink" not in after


def test_views_poll_returns_new_messages_and_next_poller(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    last = conversation.messages.get().pk
    services.reader_reply_send(actor=conversation.reader, conversation_id=conversation.pk, body="Fresh news")
    newest = Message.objects.latest("id").pk
    client.force_login(client_user)
    # when
    body = client.get(reverse("messaging:poll", args=[conversation.pk]) + f"?after={last}").content.decode()
    # then
    assert "Fresh news" in body
    assert f"?after={newest}" in body


def test_views_inbox_refresh_returns_the_list_with_a_new_message(client, client_user):
    # given: the inbox is open, then the reader answers
    conversation = conversation_with(client_user)
    client.force_login(client_user)
    inbox = client.get(reverse("messaging:inbox")).content.decode()
    assert 'id="inbox-list"' in inbox and 'hx-trigger="every 15s"' in inbox
    services.reader_reply_send(
        actor=conversation.reader, conversation_id=conversation.pk, body="The Star card answers you.", is_paid=False
    )
    # when: the list refreshes itself (the same URL, selected by id)
    refreshed = client.get(reverse("messaging:inbox"), HTTP_HX_REQUEST="true").content.decode()
    # then
    assert "The Star card answers you." in refreshed
    assert f'id="conversation-link-{conversation.pk}"' in refreshed


def test_conversation_send_confirms_and_returns_focus_to_the_message_field(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    client.force_login(client_user)
    url = reverse("messaging:conversation", args=[conversation.pk])
    # when
    response = client.post(url, {"body": "Thank you for the reading."}, follow=True)
    # then: a confirmation that is read out, and the compose form takes focus again (static/js/keep-focus.js)
    html = response.content.decode()
    assert response.redirect_chain == [(url, 302)]
    assert "Message sent." in html and "data-announce-on-load" in html
    assert "data-focus-after-send" in html
