"""Agora NCS webhooks: signatures (V2 SHA-256 and V1 SHA-1), duplicates, clientSeq ordering, presence."""

import hashlib
import hmac
import json

import pytest

from apps.rtc.channels import channel_name_for
from apps.rtc.models import NcsEvent, NcsSequence, PresenceSignal
from apps.rtc.presence import presence_subscribe, presence_unsubscribe

from .conftest import NCS_SECRET

pytestmark = pytest.mark.django_db

URL = "/rtc/ncs/"


@pytest.fixture
def ncs(settings):
    settings.AGORA_NCS_SECRET = NCS_SECRET
    return settings


def _notice(notice_id, event_type, *, channel, uid, seq, ts=1_760_000_000):
    return {
        "noticeId": notice_id,
        "productId": 1,
        "eventType": event_type,
        "notifyMs": ts * 1000,
        "payload": {"channelName": channel, "uid": uid, "platform": 7, "clientSeq": seq, "ts": ts},
    }


def _post(client, payload, *, header="Agora-Signature-V2", secret=NCS_SECRET, body=None):
    raw = body if body is not None else json.dumps(payload).encode()
    digest = hashlib.sha256 if header == "Agora-Signature-V2" else hashlib.sha1
    signature = hmac.new(secret.encode(), raw, digest).hexdigest()
    headers = {header: signature} if header else {}
    return client.post(URL, raw, content_type="application/json", headers=headers)


@pytest.mark.parametrize("header", ["Agora-Signature-V2", "Agora-Signature"])
def test_ncs_webhook_valid_signature_stores_event(client, ncs, client_user, header):
    # given
    channel = channel_name_for("session", 5)
    # when
    response = _post(client, _notice("n-1", 107, channel=channel, uid=client_user.pk, seq=10), header=header)
    # then
    assert response.status_code == 200
    event = NcsEvent.objects.get()
    assert (event.notice_id, event.event_type, event.uid, event.client_seq) == ("n-1", 107, client_user.pk, 10)
    assert event.outcome == "applied"
    signal = PresenceSignal.objects.get()
    assert (signal.use, signal.object_id, signal.user, signal.is_present) == ("session", "5", client_user, True)
    assert signal.source == "ncs"
    assert signal.detail == "user_join"


@pytest.mark.parametrize("header", ["Agora-Signature-V2", "Agora-Signature"])
def test_ncs_webhook_wrong_secret_401_nothing_stored(client, ncs, header):
    # when
    response = _post(client, _notice("n-1", 107, channel="c", uid=1, seq=1), header=header, secret="not-the-secret")
    # then
    assert response.status_code == 401
    assert not NcsEvent.objects.exists()
    assert not PresenceSignal.objects.exists()


def test_ncs_webhook_missing_signature_401_nothing_stored(client, ncs):
    response = _post(client, _notice("n-1", 107, channel="c", uid=1, seq=1), header=None)
    assert response.status_code == 401
    assert not NcsEvent.objects.exists()


def test_ncs_webhook_body_changed_after_signing_401(client, ncs):
    # given: signed over one body, delivered with another
    signed = json.dumps(_notice("n-1", 107, channel="c", uid=1, seq=1)).encode()
    signature = hmac.new(NCS_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    tampered = signed.replace(b'"uid": 1', b'"uid": 2')
    # when
    response = client.post(URL, tampered, content_type="application/json", headers={"Agora-Signature-V2": signature})
    # then
    assert response.status_code == 401
    assert not NcsEvent.objects.exists()


def test_ncs_webhook_v2_present_but_wrong_does_not_fall_back_to_v1(client, ncs):
    # given: a valid V1 signature next to a wrong V2 one
    raw = json.dumps(_notice("n-1", 107, channel="c", uid=1, seq=1)).encode()
    v1 = hmac.new(NCS_SECRET.encode(), raw, hashlib.sha1).hexdigest()
    # when
    response = client.post(
        URL, raw, content_type="application/json", headers={"Agora-Signature": v1, "Agora-Signature-V2": "0" * 64}
    )
    # then
    assert response.status_code == 401
    assert not NcsEvent.objects.exists()


def test_ncs_webhook_not_configured_503_nothing_stored(client, settings):
    settings.AGORA_NCS_SECRET = ""
    response = _post(client, _notice("n-1", 107, channel="c", uid=1, seq=1), secret="")
    assert response.status_code == 503
    assert not NcsEvent.objects.exists()


def test_ncs_webhook_duplicate_notice_ignored(client, ncs, client_user, django_capture_on_commit_callbacks):
    # given
    payload = _notice("n-dup", 103, channel=channel_name_for("stream", 2), uid=client_user.pk, seq=1)
    seen = []
    presence_subscribe("stream", seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = _post(client, payload)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            second = _post(client, payload)
    finally:
        presence_unsubscribe("stream", seen.append)
    # then
    assert first.json()["duplicate"] is False
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert NcsEvent.objects.count() == 1
    assert PresenceSignal.objects.count() == 1
    assert len(seen) == 1


def test_ncs_webhook_out_of_order_leave_before_join_keeps_leave(client, ncs, client_user):
    # given: the user joined (seq 1) then left (seq 2), but Agora delivers the leave first
    channel = channel_name_for("session", 9)
    leave = _notice("n-leave", 108, channel=channel, uid=client_user.pk, seq=2)
    join = _notice("n-join", 107, channel=channel, uid=client_user.pk, seq=1)
    # when
    _post(client, leave)
    response = _post(client, join)
    # then: the late join is stored as stale and changes no presence
    assert response.json()["outcome"] == "stale"
    assert NcsEvent.objects.get(notice_id="n-join").outcome == "stale"
    signals = list(PresenceSignal.objects.all())
    assert [(s.is_present, s.detail) for s in signals] == [(False, "user_leave")]
    assert NcsSequence.objects.get(channel_name=channel, uid=client_user.pk).last_client_seq == 2


def test_ncs_webhook_in_order_events_all_applied(client, ncs, client_user):
    # given
    channel = channel_name_for("session", 9)
    events = [
        _notice("a", 107, channel=channel, uid=client_user.pk, seq=1),
        _notice("b", 108, channel=channel, uid=client_user.pk, seq=2),
        _notice("c", 107, channel=channel, uid=client_user.pk, seq=3),
    ]
    # when
    for payload in events:
        _post(client, payload)
    # then
    assert list(PresenceSignal.objects.order_by("pk").values_list("is_present", flat=True)) == [True, False, True]


def test_ncs_webhook_sequences_are_per_user_and_channel(client, ncs, client_user, other_client_user):
    # given: the other user's sequence is far ahead
    channel = channel_name_for("session", 9)
    _post(client, _notice("x", 107, channel=channel, uid=other_client_user.pk, seq=500))
    # when
    response = _post(client, _notice("y", 107, channel=channel, uid=client_user.pk, seq=1))
    # then
    assert response.json()["outcome"] == "applied"
    assert PresenceSignal.objects.count() == 2


def test_ncs_webhook_channel_not_ours_stored_without_presence(client, ncs):
    # given: a channel name not made by channel_name_for (or with a forged MAC)
    response = _post(client, _notice("z", 103, channel="session.9.AAAAAAAAAAAAAAAA", uid=5, seq=1))
    # then
    assert response.status_code == 200
    assert NcsEvent.objects.get().outcome == "applied"
    assert not PresenceSignal.objects.exists()


def test_ncs_webhook_channel_events_recorded_only(client, ncs):
    # given: 101 channel created has no user
    payload = {
        "noticeId": "ch",
        "productId": 1,
        "eventType": 101,
        "notifyMs": 1,
        "payload": {"channelName": "c", "ts": 1},
    }
    # when
    response = _post(client, payload)
    # then
    assert response.status_code == 200
    assert NcsEvent.objects.get().outcome == "recorded"
    assert not NcsSequence.objects.exists()


def test_ncs_webhook_role_change_advances_sequence_without_presence(client, ncs, client_user):
    # given
    channel = channel_name_for("stream", 1)
    _post(client, _notice("j", 105, channel=channel, uid=client_user.pk, seq=1))
    # when: role change (seq 2), then a delayed audience join (seq 1 again, a redelivery under a new notice)
    _post(client, _notice("r", 111, channel=channel, uid=client_user.pk, seq=2))
    late = _post(client, _notice("j2", 105, channel=channel, uid=client_user.pk, seq=1))
    # then
    assert NcsEvent.objects.get(notice_id="r").outcome == "applied"
    assert late.json()["outcome"] == "stale"
    assert PresenceSignal.objects.count() == 1


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"noticeId": "x"}).encode()])
def test_ncs_webhook_malformed_body_400_nothing_stored(client, ncs, body):
    response = _post(client, None, body=body)
    assert response.status_code == 400
    assert not NcsEvent.objects.exists()


def test_ncs_webhook_get_not_allowed(client, ncs):
    assert client.get(URL).status_code == 405
