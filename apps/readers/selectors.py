"""Reads of reader profiles: what is listed, derived presence, the directory query."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from apps.accounts.enums import Role
from apps.core.integrations import agora_enabled
from apps.core.memo import shared_read

from .constants import PRESENCE_TIMEOUT
from .enums import DirectorySort, Modality, Presence, TaxonomyKind
from .exceptions import ReaderNotFound, TaxonomyTermNotFound
from .models import Favorite, Language, OnlineAlert, ReaderProfile, Specialty, Taxonomy, Tool


def available_modalities() -> list[str]:
    """Modalities a reading can use on this server: voice and video need Agora."""
    return list(Modality.values) if agora_enabled() else ["text"]


def rate_field(modality: str) -> str:
    return f"{modality}_rate_amount"


def _through_exists(model_field: str, **lookups: Any) -> Exists:
    through = getattr(ReaderProfile, model_field).through
    return Exists(through.objects.filter(readerprofile_id=OuterRef("pk"), **lookups))


def reader_listed_q() -> Q:
    """What "listed" means: an active reader's published, complete profile that no admin suspended."""
    offers = Q()
    for modality in available_modalities():
        offers |= Q(**{f"{rate_field(modality)}__isnull": False})
    return (
        Q(user__role=Role.READER, user__is_active=True, is_published=True, is_suspended=False)
        & ~Q(display_name="")
        & ~Q(headline="")
        & ~Q(bio="")
        & ~Q(photo="")
        & offers
        & Q(_through_exists("specialties"))
    )


def presence_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - PRESENCE_TIMEOUT


def online_q(now: datetime | None = None) -> Q:
    """Online or busy, with a heartbeat recent enough: right even before the expiry job has run."""
    return Q(presence__in=[Presence.ONLINE, Presence.BUSY], last_seen_at__gte=presence_cutoff(now))


def with_presence(qs: QuerySet[ReaderProfile], now: datetime | None = None) -> QuerySet[ReaderProfile]:
    """Annotate ``current_presence`` (what to show) and ``is_available_now`` (online or busy)."""
    cutoff = presence_cutoff(now)
    return qs.annotate(
        current_presence=Case(
            When(presence=Presence.ONLINE, last_seen_at__gte=cutoff, then=Value(Presence.ONLINE)),
            When(presence=Presence.BUSY, last_seen_at__gte=cutoff, then=Value(Presence.BUSY)),
            default=Value(Presence.OFFLINE),
            output_field=CharField(),
        ),
        is_online_now=Case(When(online_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def reader_listed_list() -> QuerySet[ReaderProfile]:
    return with_presence(ReaderProfile.objects.filter(reader_listed_q()))


def reader_listed_get(*, reader_id: int) -> ReaderProfile:
    """A listed reader (``ReaderNotFound`` for any other id)."""
    reader = reader_listed_list().filter(pk=reader_id).first()
    if reader is None:
        raise ReaderNotFound()
    return reader


def reader_public_get(*, viewer: Any, reader_id: int) -> ReaderProfile:
    """A listed reader's profile; its own reader may also preview it unlisted. Otherwise ``ReaderNotFound``."""
    visible = reader_listed_q()
    if getattr(viewer, "is_authenticated", False):
        visible |= Q(user_id=viewer.pk)
    qs = with_presence(ReaderProfile.objects.filter(visible)).prefetch_related("specialties", "tools", "languages")
    reader = qs.filter(pk=reader_id).first()
    if reader is None:
        raise ReaderNotFound()
    return reader


@shared_read
def reader_own_get(*, user: Any) -> ReaderProfile:
    qs = with_presence(ReaderProfile.objects.filter(user=user)).prefetch_related("specialties", "tools", "languages")
    return qs.get()


def reader_presence_map(*, reader_ids: list[int]) -> dict[int, str]:
    """Current presence of the listed readers among ``reader_ids`` (for the live status badges)."""
    rows = reader_listed_list().filter(pk__in=reader_ids[:100]).values_list("pk", "current_presence")
    return dict(rows)


@dataclass(frozen=True)
class DirectoryQuery:
    q: str = ""
    specialty: str = ""
    tool: str = ""
    language: str = ""
    modality: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    rating_min: Decimal | None = None
    online: bool = False
    sort: str = "online"  # DirectorySort.ONLINE


def price_field_for(modality: str) -> str:
    """The rate that price filters and sorts look at: the chosen modality's, else the lowest one on offer."""
    if modality:
        return rate_field(modality)
    return "lowest_rate_amount" if agora_enabled() else rate_field("text")


def reader_directory_list(*, query: DirectoryQuery) -> QuerySet[ReaderProfile]:
    """The directory: listed readers filtered, searched and sorted. A constant number of queries per page."""
    qs = reader_listed_list()
    ranked = False
    if query.q:
        search = SearchQuery(query.q, search_type="websearch", config="english")
        qs = qs.filter(search_vector=search).annotate(rank=SearchRank(F("search_vector"), search))
        ranked = True
    if query.specialty:
        qs = qs.filter(_through_exists("specialties", specialty__slug=query.specialty))
    if query.tool:
        qs = qs.filter(_through_exists("tools", tool__slug=query.tool))
    if query.language:
        qs = qs.filter(_through_exists("languages", language__slug=query.language))
    if query.modality:
        if query.modality not in available_modalities():
            return qs.none()
        qs = qs.filter(**{f"{rate_field(query.modality)}__isnull": False})
    price = price_field_for(query.modality)
    if query.price_min is not None:
        qs = qs.filter(**{f"{price}__gte": query.price_min})
    if query.price_max is not None:
        qs = qs.filter(**{f"{price}__lte": query.price_max})
    if query.rating_min is not None:
        qs = qs.filter(rating_average__gte=query.rating_min, rating_count__gt=0)
    if query.online:
        qs = qs.filter(online_q())
    by_rating = [F("rating_average").desc(), F("rating_count").desc()]
    orderings = {
        DirectorySort.ONLINE: [F("is_online_now").desc(), *([F("rank").desc()] if ranked else []), *by_rating],
        DirectorySort.RATING: by_rating,
        DirectorySort.PRICE_LOW: [F(price).asc(nulls_last=True)],
        DirectorySort.PRICE_HIGH: [F(price).desc(nulls_last=True)],
        DirectorySort.NEWEST: [F("created_at").desc()],
    }
    ordering = orderings.get(DirectorySort(query.sort) if query.sort in DirectorySort.values else DirectorySort.ONLINE)
    assert ordering is not None
    # The cards need neither the bio nor the search document; leaving them out keeps the sort narrow.
    return (
        qs.defer("bio", "search_vector")
        .order_by(*ordering, "-pk")
        .prefetch_related(Prefetch("specialties", queryset=Specialty.objects.order_by("name")))
    )


def taxonomy_choices() -> dict[str, list[tuple[str, str]]]:
    """Options for the directory filters (retired terms are not offered): three small queries."""
    return {
        "specialty": list(Specialty.objects.filter(is_retired=False).values_list("slug", "name")),
        "tool": list(Tool.objects.filter(is_retired=False).values_list("slug", "name")),
        "language": list(Language.objects.filter(is_retired=False).values_list("slug", "name")),
    }


# Keyed by TaxonomyKind values.
TAXONOMY_MODELS: dict[str, type[Taxonomy]] = {"specialties": Specialty, "tools": Tool, "languages": Language}
assert set(TAXONOMY_MODELS) == set(TaxonomyKind.values)


def taxonomy_model(kind: str) -> type[Taxonomy]:
    try:
        return TAXONOMY_MODELS[kind]
    except KeyError:
        raise TaxonomyTermNotFound()


def taxonomy_picker_list(model: type[Taxonomy], *, profile: ReaderProfile | None = None) -> QuerySet[Any]:
    """The terms a reader can pick: every term in use, plus the retired ones their profile already has."""
    offered = Q(is_retired=False)
    if profile is not None and profile.pk:
        offered |= Q(pk__in=model.objects.filter(readers=profile).values("pk"))
    return model.objects.filter(offered)


def taxonomy_term_list_for_admin(*, viewer: Any, kind: str) -> QuerySet[Any]:
    """Every term of one list, in display order, with how many profiles use it. Admins only (others get none)."""
    model = taxonomy_model(kind)
    if not getattr(viewer, "is_admin", False):
        return model.objects.none()
    return model.objects.annotate(reader_count=Count("readers")).order_by("position", "name", "pk")


def reader_relation_for(*, viewer: Any, reader_id: int) -> dict[str, bool]:
    """Whether ``viewer`` favorited ``reader_id`` and asked to be told when they come online."""
    if not getattr(viewer, "is_authenticated", False):
        return {"is_favorite": False, "has_online_alert": False}
    return {
        "is_favorite": Favorite.objects.filter(user=viewer, reader_id=reader_id).exists(),
        "has_online_alert": OnlineAlert.objects.filter(user=viewer, reader_id=reader_id).exists(),
    }


def favorite_list(*, viewer: Any) -> QuerySet[ReaderProfile]:
    """``viewer``'s favorite readers that are listed, online ones first."""
    qs = reader_listed_list().filter(favorited_by__user=viewer)
    return qs.annotate(
        has_online_alert=Exists(OnlineAlert.objects.filter(user=viewer, reader_id=OuterRef("pk")))
    ).order_by(F("is_online_now").desc(), "display_name", "pk")


def reader_follower_list(*, reader_user_id: int) -> QuerySet[Any]:
    """Active users who keep the reader ``reader_user_id`` among their favorites (a livestream's alerts and invites)."""
    from django.contrib.auth import get_user_model

    followers = Favorite.objects.filter(reader__user_id=reader_user_id).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=followers)
        .exclude(pk=reader_user_id)
        .order_by("display_name", "email", "pk")
    )


def reader_get_for_admin(*, viewer: Any, reader_id: int) -> ReaderProfile:
    """One reader profile, for admins only (``ReaderNotFound`` for everyone else)."""
    reader = reader_list_for_admin(viewer=viewer).filter(pk=reader_id).first()
    if reader is None:
        raise ReaderNotFound()
    return reader


def reader_list_for_admin(*, viewer: Any, search: str = "") -> QuerySet[ReaderProfile]:
    """Every reader profile, for admins only (others get none)."""
    if not getattr(viewer, "is_staff", False):
        return ReaderProfile.objects.none()
    qs = with_presence(ReaderProfile.objects.select_related("user")).order_by("display_name", "pk")
    if search:
        qs = qs.filter(Q(display_name__icontains=search) | Q(user__email__icontains=search))
    return qs
