"""Write services of the Help Center, the policy pages and support tickets."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from apps.core.emails import email_send, site_link
from apps.core.exceptions import InvalidStateError
from apps.core.outbox import outbox_enqueue, outbox_handler
from apps.core.ratelimit import rate_limit_consume
from apps.core.services import audit_log_record, client_ip

from .enums import TicketStatus
from .locks import policy_lock, support_ticket_lock
from .models import HelpArticle, Policy, SupportReply, SupportTicket

# Outbox messages: the support emails that must not be lost.
TICKET_CONFIRMATION_EMAIL = "pages.support_ticket_confirmation_email"
TICKET_SUPPORT_EMAIL = "pages.support_ticket_support_email"
REPLY_EMAIL = "pages.support_reply_email"

CONTACT_RATE_LIMIT = 5
CONTACT_RATE_WINDOW_SECONDS = 60 * 60

# --- Policies and help articles (edited in the Django admin) ----------------------------------------
# The admin runs save_model()/delete_model() inside its own transaction.atomic(), so these services join
# that transaction instead of opening a durable one: the change and its audit row still commit together.


def policy_record_edit(
    *, actor: Any, policy: Policy, changed_fields: list[str], request: HttpRequest | None = None
) -> Policy:
    """Save an admin's edit of a policy and audit it. A change of title or text publishes a new version."""
    with transaction.atomic():
        current = policy_lock(policy_id=policy.pk)
        content_changed = bool({"title", "body"} & set(changed_fields))
        policy.version = current.version + 1 if content_changed else current.version
        policy.full_clean()
        policy.save()
        audit_log_record(
            actor=actor,
            action="pages.policy.updated",
            target=policy,
            details={"slug": policy.slug, "version": policy.version, "changed_fields": sorted(changed_fields)},
            request=request,
        )
    return policy


def help_article_record_save(
    *, actor: Any, article: HelpArticle, changed_fields: list[str], request: HttpRequest | None = None
) -> HelpArticle:
    """Save an admin's new or edited help article and audit it."""
    with transaction.atomic():
        is_new = article.pk is None
        article.full_clean()
        article.save()
        audit_log_record(
            actor=actor,
            action="pages.help_article.created" if is_new else "pages.help_article.updated",
            target=article,
            details={
                "slug": article.slug,
                "is_published": article.is_published,
                "changed_fields": sorted(changed_fields),
            },
            request=request,
        )
    return article


def help_article_record_delete(*, actor: Any, article: HelpArticle, request: HttpRequest | None = None) -> None:
    """Delete a help article and audit it (the audit row keeps its title and slug)."""
    with transaction.atomic():
        audit_log_record(
            actor=actor,
            action="pages.help_article.deleted",
            target=article,
            details={"slug": article.slug, "title": article.title},
            request=request,
        )
        article.delete()


# --- Support tickets ------------------------------------------------------------------------------


def _contact_rate_limit_consume(*, requester: Any, request: HttpRequest | None) -> None:
    """One contact submission counted per sender IP and per signed-in user; refused past the hourly limit."""
    subjects = [("pages:contact:ip", client_ip(request))]
    if requester is not None:
        subjects.append(("pages:contact:user", requester.pk))
    for scope, subject in subjects:
        if subject:
            rate_limit_consume(
                scope=scope,
                subject_id=subject,
                limit=CONTACT_RATE_LIMIT,
                window_seconds=CONTACT_RATE_WINDOW_SECONDS,
                message=(
                    "You have sent several messages in the last hour. Please wait a while before sending another; "
                    "we answer every message we receive."
                ),
            )


@transaction.atomic(durable=True)
def support_ticket_open(
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    requester: Any = None,
    request: HttpRequest | None = None,
) -> SupportTicket:
    """Open a ticket from the contact form. The sender gets a confirmation and support is told, on commit."""
    requester = requester if getattr(requester, "is_authenticated", False) else None
    _contact_rate_limit_consume(requester=requester, request=request)
    ticket = SupportTicket(
        requester=requester, name=name.strip(), email=email.strip(), subject=subject.strip(), message=message.strip()
    )
    ticket.full_clean()
    ticket.save()
    outbox_enqueue(
        name=TICKET_CONFIRMATION_EMAIL,
        kwargs={"ticket_id": ticket.pk},
        dedupe_key=f"support-ticket:{ticket.pk}:confirm",
    )
    if settings.SUPPORT_EMAIL:
        outbox_enqueue(
            name=TICKET_SUPPORT_EMAIL, kwargs={"ticket_id": ticket.pk}, dedupe_key=f"support-ticket:{ticket.pk}:support"
        )
    return ticket


@transaction.atomic(durable=True)
def support_ticket_reply(
    *, actor: Any, ticket: SupportTicket, body: str, request: HttpRequest | None = None
) -> SupportReply:
    """An admin answers a ticket: the reply is stored, the ticket becomes answered, the requester is emailed."""
    ticket = support_ticket_lock(ticket_id=ticket.pk)
    if ticket.status == TicketStatus.CLOSED:
        raise InvalidStateError("This ticket is closed. Reopen it before replying.")
    reply = SupportReply(ticket=ticket, author=actor, body=body.strip())
    reply.full_clean()
    reply.save()
    ticket.status = TicketStatus.ANSWERED
    ticket.answered_at = timezone.now()
    ticket.save(update_fields=["status", "answered_at", "updated_at"])
    audit_log_record(
        actor=actor,
        action="pages.support_ticket.replied",
        target=ticket,
        details={"reply_id": reply.pk},
        request=request,
    )
    outbox_enqueue(name=REPLY_EMAIL, kwargs={"reply_id": reply.pk}, dedupe_key=f"support-reply:{reply.pk}:email")
    return reply


def _support_ticket_set_status(
    *, actor: Any, ticket: SupportTicket, allowed_from: set[str], to: str, action: str, request: HttpRequest | None
) -> SupportTicket:
    """Inner helper: the caller holds the transaction."""
    ticket = support_ticket_lock(ticket_id=ticket.pk)
    if ticket.status not in allowed_from:
        raise InvalidStateError(f"This ticket is already {ticket.get_status_display().lower()}.")
    previous = ticket.status
    ticket.status = to
    ticket.save(update_fields=["status", "updated_at"])
    audit_log_record(actor=actor, action=action, target=ticket, details={"from": previous, "to": to}, request=request)
    return ticket


@transaction.atomic(durable=True)
def support_ticket_close(*, actor: Any, ticket: SupportTicket, request: HttpRequest | None = None) -> SupportTicket:
    return _support_ticket_set_status(
        actor=actor,
        ticket=ticket,
        allowed_from={str(TicketStatus.OPEN), str(TicketStatus.ANSWERED)},
        to=str(TicketStatus.CLOSED),
        action="pages.support_ticket.closed",
        request=request,
    )


@transaction.atomic(durable=True)
def support_ticket_reopen(*, actor: Any, ticket: SupportTicket, request: HttpRequest | None = None) -> SupportTicket:
    return _support_ticket_set_status(
        actor=actor,
        ticket=ticket,
        allowed_from={str(TicketStatus.CLOSED)},
        to=str(TicketStatus.OPEN),
        action="pages.support_ticket.reopened",
        request=request,
    )


# --- Emails (outbox messages recorded with the ticket or reply; marked sent only after sending) ---------


@outbox_handler(TICKET_CONFIRMATION_EMAIL)
def support_ticket_send_confirmation(*, ticket_id: int) -> bool:
    """Email the sender that their message arrived. Sends at most once; returns whether it sent now.

    The email does not repeat the message: anyone can type any address into the form, so the
    confirmation carries nothing a stranger could use to send their own text through us.
    """
    ticket = SupportTicket.objects.filter(pk=ticket_id, confirmation_sent_at__isnull=True).first()
    if ticket is None:
        return False
    email_send(
        to=[ticket.email],
        subject=f"[{settings.SITE_NAME}] We received your message ({ticket.reference})",
        template="pages/email/ticket_confirmation",
        context={
            "ticket": ticket,
            "action_url": site_link(reverse("pages:help")),
            "action_label": "Visit the Help Center",
        },
    )
    SupportTicket.objects.filter(pk=ticket.pk, confirmation_sent_at__isnull=True).update(
        confirmation_sent_at=timezone.now()
    )
    return True


@outbox_handler(TICKET_SUPPORT_EMAIL)
def support_ticket_notify_support(*, ticket_id: int) -> bool:
    """Tell the support inbox (SUPPORT_EMAIL) that a ticket is waiting. Returns whether it sent."""
    ticket = SupportTicket.objects.filter(pk=ticket_id).first()
    if ticket is None or not settings.SUPPORT_EMAIL:
        return False
    email_send(
        to=[settings.SUPPORT_EMAIL],
        subject=f"[{settings.SITE_NAME}] New support ticket {ticket.reference}: {ticket.subject}",
        template="pages/email/ticket_notify_support",
        context={
            "ticket": ticket,
            "action_url": site_link(reverse("staff_pages:ticket_detail", args=[ticket.pk])),
            "action_label": "Answer it (admins only)",
        },
    )
    return True


@outbox_handler(REPLY_EMAIL)
def support_reply_send_email(*, reply_id: int) -> bool:
    """Email an admin's reply to the requester. Sends at most once; returns whether it sent now."""
    reply = SupportReply.objects.select_related("ticket").filter(pk=reply_id, emailed_at__isnull=True).first()
    if reply is None:
        return False
    ticket = reply.ticket
    email_send(
        to=[ticket.email],
        subject=f"[{settings.SITE_NAME}] Re: {ticket.subject} ({ticket.reference})",
        template="pages/email/ticket_reply",
        context={
            "ticket": ticket,
            "reply": reply,
            "action_url": site_link(reverse("pages:help")),
            "action_label": "Visit the Help Center",
        },
    )
    SupportReply.objects.filter(pk=reply.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return True


# --- Account deletion ----------------------------------------------------------------------------------


def support_tickets_anonymise_for_user(*, user: Any) -> int:
    """Remove personal data from the support tickets of a user whose account is being deleted.

    Inner helper for the account-deletion service: the caller holds the transaction. Covers tickets sent
    while signed in and those sent signed out from the account's email address. Returns how many changed.
    """
    tickets = SupportTicket.objects.filter(Q(requester=user) | Q(email__iexact=user.email))
    replies = SupportReply.objects.filter(ticket__in=tickets)
    replies.update(body="[Removed when the account was deleted.]")
    return tickets.update(
        requester=None,
        name="Deleted user",
        email="deleted-user@invalid",
        subject="[Removed when the account was deleted.]",
        message="[Removed when the account was deleted.]",
    )
