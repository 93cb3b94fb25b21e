"""Two deliveries of NCS events racing on real PostgreSQL connections."""

import threading

import pytest
from django.db import connection

from apps.rtc.channels import channel_name_for
from apps.rtc.models import NcsEvent, NcsSequence, PresenceSignal
from apps.rtc.services import ncs_event_record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def _notice(notice_id, event_type, *, uid, seq):
    return {
        "noticeId": notice_id,
        "productId": 1,
        "eventType": event_type,
        "notifyMs": 1,
        "payload": {"channelName": channel_name_for("session", 77), "uid": uid, "clientSeq": seq, "ts": 1_760_000_000},
    }


def _race(payloads):
    barrier = threading.Barrier(len(payloads))
    results, errors = [], []

    def run(payload):
        try:
            barrier.wait(timeout=10)
            results.append(ncs_event_record(payload=payload))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_ncs_event_record_same_notice_twice_at_once_stored_once(client_user):
    # when
    results = _race([_notice("same", 107, uid=client_user.pk, seq=1)] * 2)
    # then
    assert sorted(created for _, created in results) == [False, True]
    assert NcsEvent.objects.count() == 1
    assert PresenceSignal.objects.count() == 1


def test_ncs_event_record_join_and_leave_at_once_end_in_seq_order(client_user):
    # when: the join (seq 1) and the leave (seq 2) arrive at the same moment
    _race([_notice("join", 107, uid=client_user.pk, seq=1), _notice("leave", 108, uid=client_user.pk, seq=2)])
    # then: whatever order they were applied in, the last applied is the leave
    assert NcsSequence.objects.get(uid=client_user.pk).last_client_seq == 2
    latest = PresenceSignal.objects.order_by("-pk").first()
    assert latest is not None and latest.is_present is False
