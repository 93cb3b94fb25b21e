"""The room's withdraw/end button follows the reading's state with every status refresh."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.readings.services import session_request
from apps.readings.tests.helpers import credit, make_reader
from apps.readings.tests.test_views import live_reading

pytestmark = pytest.mark.django_db


def test_status_refresh_after_accept_replaces_withdraw_with_end_reading(client, client_user):
    # given: the client's room was opened while waiting; the reader has accepted since
    session, _ = live_reading(client_user)
    client.force_login(client_user)
    # when: the status block refreshes
    body = client.get(reverse("readings:status", args=[session.pk]), headers={"HX-Request": "true"}).content.decode()
    # then: the end button is sent along, out of band, and says what it does now
    assert 'id="end-action" class="stack" hx-swap-oob="true"' in body
    assert "End reading" in body and "Withdraw request" not in body


def test_status_refresh_while_waiting_keeps_withdraw_request(client, client_user):
    # given
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=make_reader(), modality="text")
    client.force_login(client_user)
    # when
    body = client.get(reverse("readings:status", args=[session.pk]), headers={"HX-Request": "true"}).content.decode()
    # then
    assert "Withdraw request" in body and "End reading" not in body
