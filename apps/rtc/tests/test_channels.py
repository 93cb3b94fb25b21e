import pytest

from apps.rtc.channels import MAX_CHANNEL_BYTES, channel_name_for, channel_subject


def test_channel_name_for_same_object_is_stable_and_maps_back():
    # when
    name = channel_name_for("session", 42)
    # then
    assert name == channel_name_for("session", "42")
    assert name.startswith("session.42.")
    assert channel_subject(name) == ("session", "42")


def test_channel_name_for_depends_on_server_secret(settings):
    # given
    before = channel_name_for("session", 42)
    # when
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    # then: the name cannot be derived from the object id alone
    assert channel_name_for("session", 42) != before


def test_channel_subject_forged_name_refused():
    # given: a name with the right shape but a made-up MAC
    real = channel_name_for("stream", 7)
    forged = real.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAA"
    # then
    assert channel_subject(forged) is None
    assert channel_subject("lobby") is None
    assert channel_subject(real.replace("stream.7.", "stream.8.")) is None


def test_channel_name_for_longest_inputs_fit_agora_limit():
    name = channel_name_for("abcdefghij", "f" * 36)
    assert len(name.encode()) <= MAX_CHANNEL_BYTES


@pytest.mark.parametrize(("kind", "object_id"), [("Session", 1), ("session", "a.b"), ("x" * 11, 1), ("s", "x" * 37)])
def test_channel_name_for_bad_input_refused(kind, object_id):
    with pytest.raises(ValueError):
        channel_name_for(kind, object_id)
