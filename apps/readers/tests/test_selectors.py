from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.accounts.enums import Role
from apps.readers.enums import DirectorySort, Presence
from apps.readers.selectors import DirectoryQuery, reader_directory_list, reader_listed_list

from .factories import LanguageFactory, ReaderProfileFactory, SpecialtyFactory, ToolFactory

pytestmark = pytest.mark.django_db

AGORA_ON = {"AGORA_APP_ID": "a" * 32, "AGORA_APP_CERTIFICATE": "b" * 32}


def names(query: DirectoryQuery) -> list[str]:
    return [reader.display_name for reader in reader_directory_list(query=query)]


def test_reader_listed_list_only_complete_published_active_unsuspended_readers_listed():
    # given
    listed = ReaderProfileFactory(display_name="Listed")
    ReaderProfileFactory(display_name="Draft", is_published=False)
    ReaderProfileFactory(display_name="Suspended", is_suspended=True)
    ReaderProfileFactory(display_name="Inactive", user__is_active=False)
    ReaderProfileFactory(display_name="Demoted", user__role=Role.CLIENT)
    ReaderProfileFactory(display_name="No headline", headline="")
    ReaderProfileFactory(display_name="No bio", bio="")
    ReaderProfileFactory(display_name="No photo", photo="")
    ReaderProfileFactory(display_name="No specialty", specialties=[])
    ReaderProfileFactory(display_name="No rate", text_rate_amount=None)
    ReaderProfileFactory(display_name="Voice only", text_rate_amount=None, voice_rate_amount=Decimal("3.00"))
    # when
    result = list(reader_listed_list())
    # then
    assert result == [listed]


@override_settings(**AGORA_ON)
def test_reader_listed_list_voice_only_reader_listed_when_agora_configured():
    # given
    reader = ReaderProfileFactory(display_name="Voice only", text_rate_amount=None, voice_rate_amount=Decimal("3.00"))
    # when / then
    assert list(reader_listed_list()) == [reader]


def test_reader_directory_list_search_matches_name_headline_bio_and_specialty():
    # given
    ReaderProfileFactory(display_name="Aurora Vance", bio="Calm readings.")
    ReaderProfileFactory(display_name="Bram", headline="Astrology charts for lovers")
    ReaderProfileFactory(display_name="Cleo", bio="I connect with spirits of departed loved ones.")
    ReaderProfileFactory(display_name="Dara", specialties=[SpecialtyFactory(name="Numerology")])
    # when / then
    assert names(DirectoryQuery(q="aurora")) == ["Aurora Vance"]
    assert names(DirectoryQuery(q="astrology")) == ["Bram"]
    assert names(DirectoryQuery(q="spirit")) == ["Cleo"]  # stemmed: "spirits"
    assert names(DirectoryQuery(q="numerology")) == ["Dara"]
    assert names(DirectoryQuery(q="nothing-like-this")) == []


def test_reader_directory_list_specialty_tool_language_filters_narrow_results():
    # given
    tarot, runes = SpecialtyFactory(name="Tarot"), SpecialtyFactory(name="Runes")
    deck, pendulum = ToolFactory(name="Thoth deck"), ToolFactory(name="Pendulum")
    english, spanish = LanguageFactory(name="English"), LanguageFactory(name="Spanish")
    a = ReaderProfileFactory(display_name="A", specialties=[tarot])
    a.tools.set([deck])
    a.languages.set([english])
    b = ReaderProfileFactory(display_name="B", specialties=[runes, tarot])
    b.tools.set([pendulum])
    b.languages.set([english, spanish])
    # when / then
    assert names(DirectoryQuery(specialty=runes.slug)) == ["B"]
    assert sorted(names(DirectoryQuery(specialty=tarot.slug))) == ["A", "B"]
    assert names(DirectoryQuery(tool=deck.slug)) == ["A"]
    assert names(DirectoryQuery(language=spanish.slug)) == ["B"]
    assert sorted(names(DirectoryQuery(language=english.slug))) == ["A", "B"]


def test_reader_directory_list_voice_modality_without_agora_returns_nothing():
    # given
    ReaderProfileFactory(display_name="A", voice_rate_amount=Decimal("3.00"))
    # when / then
    assert names(DirectoryQuery(modality="voice")) == []
    assert names(DirectoryQuery(modality="text")) == ["A"]


@override_settings(**AGORA_ON)
def test_reader_directory_list_modality_filter_with_agora_keeps_readers_offering_it():
    # given
    ReaderProfileFactory(display_name="Chat", text_rate_amount=Decimal("2.00"))
    ReaderProfileFactory(display_name="Video", text_rate_amount=Decimal("2.00"), video_rate_amount=Decimal("4.00"))
    # when / then
    assert names(DirectoryQuery(modality="video")) == ["Video"]
    assert sorted(names(DirectoryQuery(modality="text"))) == ["Chat", "Video"]


def test_reader_directory_list_price_range_filters_on_rate():
    # given
    for name, rate in (("Cheap", "0.99"), ("Mid", "3.50"), ("Dear", "12.00")):
        ReaderProfileFactory(display_name=name, text_rate_amount=Decimal(rate), lowest_rate_amount=Decimal(rate))
    # when / then
    assert sorted(names(DirectoryQuery(price_min=Decimal("1.00")))) == ["Dear", "Mid"]
    assert sorted(names(DirectoryQuery(price_max=Decimal("3.50")))) == ["Cheap", "Mid"]
    assert names(DirectoryQuery(price_min=Decimal("1"), price_max=Decimal("5"))) == ["Mid"]


def test_reader_directory_list_min_rating_excludes_lower_and_unrated():
    # given
    ReaderProfileFactory(display_name="Star", rating_average=Decimal("4.80"), rating_count=20)
    ReaderProfileFactory(display_name="Fine", rating_average=Decimal("3.90"), rating_count=5)
    ReaderProfileFactory(display_name="New", rating_average=Decimal("0"), rating_count=0)
    # when / then
    assert names(DirectoryQuery(rating_min=Decimal("4"))) == ["Star"]
    assert sorted(names(DirectoryQuery(rating_min=Decimal("3")))) == ["Fine", "Star"]


def test_reader_directory_list_online_now_uses_recent_heartbeat_only():
    # given
    now = timezone.now()
    ReaderProfileFactory(display_name="Live", presence=Presence.ONLINE, last_seen_at=now)
    ReaderProfileFactory(display_name="Busy", presence=Presence.BUSY, last_seen_at=now)
    ReaderProfileFactory(display_name="Stale", presence=Presence.ONLINE, last_seen_at=now - timedelta(minutes=3))
    ReaderProfileFactory(display_name="Off", presence=Presence.OFFLINE, last_seen_at=now)
    # when
    result = {r.display_name: r.current_presence for r in reader_directory_list(query=DirectoryQuery(online=True))}
    # then
    assert result == {"Live": "online", "Busy": "busy"}


def test_reader_directory_list_sorts_online_first_then_rating():
    # given
    now = timezone.now()
    ReaderProfileFactory(display_name="Top offline", rating_average=Decimal("5.00"), rating_count=9)
    ReaderProfileFactory(
        display_name="Low online",
        rating_average=Decimal("3.00"),
        rating_count=2,
        presence=Presence.ONLINE,
        last_seen_at=now,
    )
    ReaderProfileFactory(display_name="Mid offline", rating_average=Decimal("4.00"), rating_count=3)
    # when / then
    assert names(DirectoryQuery(sort=DirectorySort.ONLINE)) == ["Low online", "Top offline", "Mid offline"]
    assert names(DirectoryQuery(sort=DirectorySort.RATING)) == ["Top offline", "Mid offline", "Low online"]


def test_reader_directory_list_sorts_by_price_both_ways_and_newest():
    # given
    for name, rate in (("Two", "2.00"), ("One", "1.00"), ("Three", "3.00")):
        ReaderProfileFactory(display_name=name, text_rate_amount=Decimal(rate), lowest_rate_amount=Decimal(rate))
    # when / then
    assert names(DirectoryQuery(sort=DirectorySort.PRICE_LOW)) == ["One", "Two", "Three"]
    assert names(DirectoryQuery(sort=DirectorySort.PRICE_HIGH)) == ["Three", "Two", "One"]
    assert names(DirectoryQuery(sort=DirectorySort.NEWEST)) == ["Three", "One", "Two"]


def test_reader_directory_list_search_ranks_name_match_above_bio_match_among_offline():
    # given
    ReaderProfileFactory(display_name="Quinn", bio="I read for Selene's circle.")
    ReaderProfileFactory(display_name="Selene", bio="Moon work.")
    # when / then
    assert names(DirectoryQuery(q="selene")) == ["Selene", "Quinn"]
