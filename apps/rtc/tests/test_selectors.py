import pytest

from apps.rtc.access import AccessDecision
from apps.rtc.selectors import livestreams_available, modalities_available, rtc_room_context


def test_modalities_available_without_agora_text_only(agora_off):
    assert modalities_available() == ("text",)
    assert livestreams_available() is False


def test_modalities_available_with_agora_all(agora):
    assert modalities_available() == ("text", "voice", "video")
    assert livestreams_available() is True


def test_rtc_room_context_text_modality_refused(rf, agora):
    with pytest.raises(ValueError):
        rtc_room_context(request=rf.get("/"), use="session", object_id=1, modality="text")


def test_rtc_room_context_custom_presence_url(rf, agora):
    room = rtc_room_context(request=rf.get("/"), use="session", object_id=1, modality="video", presence_url="/x/")
    assert room["presence_url"] == "/x/"
    assert room["enabled"] is True


@pytest.mark.parametrize(
    "kwargs",
    [{"role": "owner"}, {"uid": 0}, {"uid": 2**32}, {"modality": "text"}, {"profile": "broadcast"}],
)
def test_access_decision_invalid_values_refused(kwargs):
    args = {"role": "publisher", "channel_name": "c", "uid": 1}
    args.update(kwargs)
    with pytest.raises(ValueError):
        AccessDecision(**args)
