from django.db import models


class Presence(models.TextChoices):
    OFFLINE = "offline", "Offline"
    ONLINE = "online", "Online"
    BUSY = "busy", "In a reading"


class Modality(models.TextChoices):
    TEXT = "text", "Chat"
    VOICE = "voice", "Voice"
    VIDEO = "video", "Video"


class DirectorySort(models.TextChoices):
    ONLINE = "online", "Online first"
    RATING = "rating", "Highest rated"
    PRICE_LOW = "price", "Lowest price"
    PRICE_HIGH = "-price", "Highest price"
    NEWEST = "newest", "Newest"


class TaxonomyKind(models.TextChoices):
    """The three lists readers pick from; the value is the URL segment of its staff page."""

    SPECIALTIES = "specialties", "Specialties"
    TOOLS = "tools", "Tools"
    LANGUAGES = "languages", "Languages"


class TaxonomyMove(models.TextChoices):
    UP = "up", "Move up"
    DOWN = "down", "Move down"
