"""Selectors raise a domain ``NotFound``; through real views it answers 404 as a page, a partial or JSON."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.messaging.tests.factories import conversation_with
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account

pytestmark = pytest.mark.django_db


def _top_up(user) -> int:
    txn = transaction_post(
        kind="top_up",
        idempotency_key=f"errors-test:{user.pk}",
        postings=[(house_account("stripe:cash"), Decimal("-5.00")), (wallet_account(user), Decimal("5.00"))],
        user=user,
    )
    return txn.pk


def test_wallet_entry_get_someone_elses_transaction_404_page(client, client_user, other_client_user):
    # given
    theirs = _top_up(other_client_user)
    client.force_login(client_user)
    # when
    response = client.get(reverse("wallet:transaction_detail", args=[theirs]))
    # then
    assert response.status_code == 404
    assert response.templates[0].name == "error.html"
    assert "That transaction does not exist." in response.content.decode()


def test_conversation_get_stranger_polling_gets_404_partial(client, client_user):
    # given: a conversation between a client and a reader, polled by a stranger
    conversation = conversation_with(client_user)
    client.force_login(UserFactory())
    # when
    response = client.get(reverse("messaging:poll", args=[conversation.pk]), headers={"HX-Request": "true"})
    # then
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#error-region"
    assert "That conversation does not exist." in response.content.decode()


def test_session_get_for_participant_unknown_reading_heartbeat_404_json(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post(reverse("readings:heartbeat", args=[999999]), headers={"Accept": "application/json"})
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "This reading does not exist.", "code": "SessionNotFound"}
