"""Read queries of the Help Center, the policy pages and support tickets."""

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Count, Prefetch, Q, QuerySet

from apps.core.exceptions import NotFound

from .enums import TicketStatus
from .models import HelpArticle, Policy, SupportReply, SupportTicket

SEARCH_MAX_LENGTH = 200
SEARCH_CONFIG = "english"


def policy_list() -> QuerySet[Policy]:
    return Policy.objects.all()


def help_article_list(*, search: str = "") -> QuerySet[HelpArticle]:
    """Published articles in their set order, or ranked by relevance when ``search`` is given.

    Full-text search over title (weighted higher) and body, with web-search syntax ("quoted phrases", or,
    -exclusions) and English stemming.
    """
    articles = HelpArticle.objects.filter(is_published=True)
    search = " ".join(search.split())[:SEARCH_MAX_LENGTH]
    if not search:
        return articles.order_by("order", "title", "pk")
    vector = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "body", weight="B", config=SEARCH_CONFIG
    )
    query = SearchQuery(search, search_type="websearch", config=SEARCH_CONFIG)
    return (
        articles.annotate(search_vector=vector, rank=SearchRank(vector, query))
        .filter(search_vector=query)
        .order_by("-rank", "order", "title", "pk")
    )


def support_ticket_list(*, viewer: Any, status: str = "") -> QuerySet[SupportTicket]:
    """Tickets for the staff inbox, newest first, optionally of one status. Only admins see any."""
    if not getattr(viewer, "is_staff", False):
        return SupportTicket.objects.none()
    tickets = SupportTicket.objects.select_related("requester")
    if status in TicketStatus.values:
        tickets = tickets.filter(status=status)
    return tickets.order_by("-created_at", "-pk")


def support_ticket_detail_list(*, viewer: Any) -> QuerySet[SupportTicket]:
    """Tickets with their thread of replies loaded, for the staff detail page."""
    return support_ticket_list(viewer=viewer).prefetch_related(
        Prefetch("replies", queryset=SupportReply.objects.select_related("author").order_by("created_at", "pk"))
    )


def support_ticket_status_counts(*, viewer: Any) -> dict[str, int]:
    rows = support_ticket_list(viewer=viewer).order_by().values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in rows}
    return {status: counts.get(status, 0) for status in TicketStatus.values}


def support_ticket_list_for_requester(*, user: Any) -> QuerySet[SupportTicket]:
    """A user's own tickets with their replies, for the personal data export."""
    return (
        SupportTicket.objects.filter(Q(requester=user) | Q(email__iexact=user.email))
        .prefetch_related(Prefetch("replies", queryset=SupportReply.objects.order_by("created_at", "pk")))
        .order_by("created_at", "pk")
    )


def _one_or_not_found(queryset: QuerySet[Any], message: str, **lookup: Any) -> Any:
    found = queryset.filter(**lookup).first()
    if found is None:
        raise NotFound(message)
    return found


def policy_get(*, slug: str) -> Policy:
    return _one_or_not_found(policy_list(), "That policy does not exist.", slug=slug)


def help_article_get(*, slug: str) -> HelpArticle:
    """A published help article (``NotFound`` for a draft or an unknown slug)."""
    return _one_or_not_found(help_article_list(), "That help article does not exist.", slug=slug)


def support_ticket_get(*, viewer: Any, ticket_id: int, with_replies: bool = False) -> SupportTicket:
    """One ticket for the admins (``NotFound`` for everyone else); ``with_replies`` for its detail page."""
    tickets = support_ticket_detail_list(viewer=viewer) if with_replies else support_ticket_list(viewer=viewer)
    return _one_or_not_found(tickets, "That ticket does not exist.", pk=ticket_id)
