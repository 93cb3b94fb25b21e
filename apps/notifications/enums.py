"""Kinds of the notifications app itself. Other apps register theirs beside the code that sends them."""

from .registry import EMAIL_PREFERENCE_BY_CATEGORY, notification_kind_register

__all__ = ["EMAIL_PREFERENCE_BY_CATEGORY", "Kind"]


class Kind:
    READER_ONLINE = notification_kind_register("readings.reader_online", label="A favorite reader came online")
