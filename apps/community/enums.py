from django.db import models


class CategoryVisibility(models.TextChoices):
    PUBLIC = "public", "Everyone, signed in or not"
    MEMBERS = "members", "Signed-in members only"


class CategoryPosting(models.TextChoices):
    MEMBERS = "members", "Every signed-in member"
    READERS = "readers", "Readers only"
