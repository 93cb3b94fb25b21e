from apps.notifications.registry import notification_kind_register


class NotificationKind:
    """Notification kinds of messaging (category "messages": the user's message email preference applies)."""

    NEW_MESSAGE = notification_kind_register("messages.new_message", label="A new message")
    PAID_REPLY = notification_kind_register("messages.paid_reply", label="A paid reply to unlock")
    REPLY_UNLOCKED = notification_kind_register("messages.reply_unlocked", label="A client unlocked a paid reply")
