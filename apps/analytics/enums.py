"""Choices of the analytics pages."""

from django.db import models


class Grain(models.TextChoices):
    WEEK = "week", "Week"
    MONTH = "month", "Month"
