"""The access-check and presence-hook registries other apps plug into."""

import pytest

from apps.rtc import access
from apps.rtc.access import AccessDecision, AccessRefused, access_decide, register_access_check
from apps.rtc.enums import PresenceSource
from apps.rtc.models import PresenceSignal
from apps.rtc.presence import presence_dispatch, presence_subscribe, presence_unsubscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def paused_room():
    """A room whose token check refuses (say, a paused reading) while its presence check still accepts."""

    def token_check(*, user, object_id):
        raise AccessRefused("The reading is paused.")

    def presence_check(*, user, object_id):
        return AccessDecision(role="publisher", channel_name="c", uid=user.pk)

    register_access_check("pausedroom", token_check, presence_check=presence_check)
    yield
    access._CHECKS.pop("pausedroom", None)


def test_access_decide_uses_presence_check_for_presence(paused_room, client_user):
    # when / then
    with pytest.raises(AccessRefused):
        access_decide(use="pausedroom", user=client_user, object_id="1")
    assert access_decide(use="pausedroom", user=client_user, object_id="1", for_presence=True).uid == client_user.pk


def test_register_access_check_second_different_check_refused(paused_room):
    with pytest.raises(ValueError):
        register_access_check("pausedroom", lambda **kwargs: None)


def test_access_decide_anonymous_refused_as_not_found(paused_room):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(AccessRefused) as refused:
        access_decide(use="pausedroom", user=AnonymousUser(), object_id="1", for_presence=True)
    assert refused.value.not_found is True


def test_presence_dispatch_failing_hook_does_not_stop_others(client_user):
    # given
    signal = PresenceSignal.objects.create(
        use="hooked",
        object_id="1",
        channel_name="c",
        uid=client_user.pk,
        user=client_user,
        is_present=True,
        source=PresenceSource.CLIENT,
        occurred_at=client_user.date_joined,
    )
    seen = []

    def broken(signal):
        raise RuntimeError("subscriber bug")

    presence_subscribe("hooked", broken)
    presence_subscribe("hooked", seen.append)
    try:
        # when
        presence_dispatch(signal.pk)
    finally:
        presence_unsubscribe("hooked", broken)
        presence_unsubscribe("hooked", seen.append)
    # then
    assert seen == [signal]
