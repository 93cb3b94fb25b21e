class NotificationKind:
    """Notification kinds of messaging (category "messages": the user's message email preference applies)."""

    NEW_MESSAGE = "messages.new_message"
    PAID_REPLY = "messages.paid_reply"
    REPLY_UNLOCKED = "messages.reply_unlocked"
