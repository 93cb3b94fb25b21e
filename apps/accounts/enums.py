from django.db import models


class Role(models.TextChoices):
    CLIENT = "client", "Client"
    READER = "reader", "Reader"
    ADMIN = "admin", "Admin"


class Theme(models.TextChoices):
    SYSTEM = "system", "Match my device"
    DARK = "dark", "Dark"
    LIGHT = "light", "Light"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
