"""Refusals and confirmations in a real browser.

- An HTMX action the server refuses (a reader suspended while their dashboard is open presses "Go online")
  shows the server's message in the page's error region, announced to screen readers; nothing changes.
- A dangerous button (blocking a reader) asks first: dismissing the question sends nothing, accepting it does.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import UserFactory
from apps.messaging.models import Conversation
from apps.messaging.tests.factories import conversation_with, listed_reader
from apps.readers.enums import Presence
from apps.readers.models import ReaderProfile
from tests.e2e.conftest import goto_settled, posts_to, sign_in_with_session


@pytest.mark.django_db(transaction=True)
def test_reader_presence_set_suspended_meanwhile_refusal_shown_in_error_region(live_server, page):
    # given: a reader's dashboard is open, offline; then an admin suspends them
    base = live_server.url
    profile = listed_reader(display_name="Luna Starlight")
    sign_in_with_session(page, base, profile.user)
    goto_settled(page, base + reverse("dashboards:reader"))
    go_online = page.get_by_role("button", name="Go online")
    go_online.wait_for()
    ReaderProfile.objects.filter(pk=profile.pk).update(is_suspended=True)
    # when
    go_online.click()
    # then: the refusal is in the live region, the panel is as it was, and the reader stays offline
    region = page.locator("#error-region")
    expect(region).to_have_text("Your profile is suspended; please contact support.")
    assert region.get_attribute("aria-live") == "assertive"
    expect(go_online).to_be_visible()
    profile.refresh_from_db()
    assert profile.presence == Presence.OFFLINE


@pytest.mark.django_db(transaction=True)
def test_conversation_block_set_asks_first_and_dismissing_sends_nothing(live_server, page):
    # given: a client's conversation with a reader
    base = live_server.url
    client_user = UserFactory(email="seeker.block@example.com")
    conversation = conversation_with(client=client_user, reader=listed_reader(display_name="Luna Starlight").user)
    sign_in_with_session(page, base, client_user)
    page.goto(base + reverse("messaging:conversation", args=[conversation.pk]))
    block_url = base + reverse("messaging:block", args=[conversation.pk])
    block_posts = posts_to(page, block_url)
    block = page.get_by_role("button", name="Block Luna Starlight")
    questions: list[str] = []

    def answer(accept: bool):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    # when: the client dismisses the question
    page.once("dialog", answer(accept=False))
    block.click()
    # then: nothing was sent (nor afterwards: the only request to block is the accepted one, counted below)
    assert questions == ["Block Luna Starlight? They will no longer be able to write to you."]
    assert Conversation.objects.get(pk=conversation.pk).blocked_at is None

    # when: they accept it
    page.once("dialog", answer(accept=True))
    block.click()
    # then: the reader is blocked
    expect(page.get_by_text("Reader blocked: they can no longer write to you.")).to_be_visible()
    assert Conversation.objects.get(pk=conversation.pk).blocked_at is not None
    assert block_posts == [block_url]
