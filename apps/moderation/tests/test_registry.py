"""The moderation registry refuses a malformed registration when the app starts, not inside a request."""

from dataclasses import replace

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from apps.messaging.moderation import MESSAGE_MODERATION
from apps.moderation import registry
from apps.moderation.registry import moderatable_register, moderatables


@pytest.fixture
def isolated_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_moderatable_registry_holds_messages_reviews_and_reading_chat():
    # when the apps have started
    keys = [moderatable.key for moderatable in moderatables()]
    # then
    assert keys == [
        "community.post",
        "live.chat_message",
        "messaging.message",
        "readings.chat_message",
        "readings.review",
    ]


@pytest.mark.parametrize("key", ["Messaging.Message", "message", "messaging.", "messaging.message.x", ""])
def test_moderatable_register_bad_key_refused(isolated_registry, key):
    # when / then
    with pytest.raises(ImproperlyConfigured, match="must look like"):
        moderatable_register(replace(MESSAGE_MODERATION, key=key))


@pytest.mark.parametrize("name", ["reportable_get", "hide", "unhide", "summary"])
def test_moderatable_register_missing_callable_refused(isolated_registry, name):
    # when / then
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be a callable"):
        moderatable_register(replace(MESSAGE_MODERATION, key="messaging.other", **{name: None}))


def test_moderatable_register_callable_without_the_interface_arguments_refused(isolated_registry):
    # given a hide that takes no reason
    def hide(*, obj, actor):
        return True

    # when / then
    with pytest.raises(ImproperlyConfigured, match="hide must accept"):
        moderatable_register(replace(MESSAGE_MODERATION, key="messaging.other", hide=hide))


def test_moderatable_register_key_twice_refused(isolated_registry):
    # when / then
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        moderatable_register(replace(MESSAGE_MODERATION, label="Another label"))


def test_moderatable_register_model_under_two_keys_refused(isolated_registry):
    # when / then
    with pytest.raises(ImproperlyConfigured, match="registered as both"):
        moderatable_register(replace(MESSAGE_MODERATION, key="messaging.again"))


def test_moderatable_register_not_a_model_refused(isolated_registry):
    # when / then
    with pytest.raises(ImproperlyConfigured, match="Django model"):
        moderatable_register(replace(MESSAGE_MODERATION, key="messaging.other", model=dict))  # type: ignore[arg-type]


def test_moderatable_register_same_entry_again_is_harmless(isolated_registry):
    # when the app's ready() runs again (as in tests that reload apps)
    moderatable_register(MESSAGE_MODERATION)
    apps.get_app_config("messaging").ready()
    # then
    assert registry.moderatable_get("messaging.message") is MESSAGE_MODERATION
