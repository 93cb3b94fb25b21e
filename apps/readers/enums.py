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
