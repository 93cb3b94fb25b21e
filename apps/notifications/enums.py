"""Notification kinds are ``<category>.<event>``; the category picks the email preference that applies."""

# category -> the User field that says whether that user wants email for it.
EMAIL_PREFERENCE_BY_CATEGORY: dict[str, str] = {
    "messages": "notify_email_messages",
    "readings": "notify_email_readings",
    "account": "notify_email_account",
}


class Kind:
    """Kinds in use. Later features add their own constants here, always under one of the categories above."""

    READER_ONLINE = "readings.reader_online"
