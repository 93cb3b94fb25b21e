from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .enums import PolicySlug, TicketStatus
from .text import BODY_FORMAT_HELP, TextBlock, text_blocks, text_summary

# URL segments under /help/ that are pages of their own, so no article may take them as its slug.
RESERVED_ARTICLE_SLUGS = frozenset({"contact"})


def validate_article_slug(value: str) -> None:
    if value in RESERVED_ARTICLE_SLUGS:
        raise ValidationError(f"“{value}” is reserved for another Help Center page. Choose another slug.")


class Policy(models.Model):
    """A public policy page (terms, privacy, refunds). Edited in the admin; every edit bumps ``version``."""

    slug = models.CharField(max_length=20, choices=PolicySlug.choices, unique=True)
    title = models.CharField(max_length=120)
    body = models.TextField(help_text=BODY_FORMAT_HELP)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "policies"
        constraints = [models.CheckConstraint(condition=models.Q(slug__in=PolicySlug.values), name="policy_slug_valid")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(f"pages:{self.slug}")

    @property
    def blocks(self) -> list[TextBlock]:
        return text_blocks(self.body)


class HelpArticle(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, validators=[validate_article_slug])
    category = models.CharField(max_length=80, blank=True, help_text="Optional, e.g. “Wallet and payments”.")
    body = models.TextField(help_text=BODY_FORMAT_HELP)
    is_published = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0, help_text="Lower numbers are listed first.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "title", "pk"]
        indexes = [models.Index(fields=["is_published", "order"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pages:help_article", args=[self.slug])

    @property
    def blocks(self) -> list[TextBlock]:
        return text_blocks(self.body)

    @property
    def summary(self) -> str:
        return text_summary(self.body)


class SupportTicket(models.Model):
    """A message sent through the Help Center contact form. Admins answer it from /staff/pages/tickets/."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_tickets",
        help_text="Set when the sender was signed in.",
    )
    name = models.CharField(max_length=100)
    email = models.EmailField()
    subject = models.CharField(max_length=150)
    message = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=TicketStatus.values), name="supportticket_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"


class SupportReply(models.Model):
    """An admin's answer to a ticket, emailed to the requester."""

    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "support replies"

    def __str__(self) -> str:
        return f"Reply to {self.ticket}"
