"""Writes for reader profiles, rates, presence, favorites and online alerts."""

from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery, TextField, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.enums import ApplicationStatus
from apps.core.exceptions import IntegrationNotConfigured, PermissionDeniedError
from apps.core.outbox import outbox_enqueue, outbox_handler
from apps.core.services import audit_log_record
from apps.notifications.enums import Kind
from apps.notifications.services import notify

from . import selectors
from .cache import reader_directory_changed
from .enums import Modality, Presence, TaxonomyMove
from .exceptions import (
    ReaderNotFound,
    ReaderProfileIncomplete,
    ReaderProfileInvalid,
    TaxonomyTermInvalid,
    TaxonomyTermNotFound,
)
from .locks import reader_profile_lock, taxonomy_terms_lock
from .models import Favorite, OnlineAlert, OnlineAlertDelivery, ReaderProfile, Specialty, Taxonomy, Tool
from .photos import PHOTO_READ_ERRORS, reader_photo_clear, reader_photo_files_delete, reader_photo_store

# The outbox message that fans out "reader is online" alerts (each alert's email is its own outbox message).
ONLINE_ALERTS_SEND = "readers.online_alerts_send"

RATE_FIELDS = (
    "text_rate_amount",
    "voice_rate_amount",
    "video_rate_amount",
    "scheduled_rate_amount",
    "paid_reply_amount",
)
PROFILE_FIELDS = ("display_name", "headline", "bio", "years_experience", *RATE_FIELDS)


def _require_reader(user: Any) -> None:
    if not getattr(user, "is_reader", False):
        raise PermissionDeniedError("Only readers have a reader profile.")


def _match_terms(model: type[Specialty] | type[Tool], text: str) -> list[Any]:
    names = {part.strip().lower() for part in (text or "").split(",") if part.strip()}
    return [term for term in model.objects.filter(is_retired=False) if term.name.lower() in names]


def reader_profile_build(*, user: Any) -> ReaderProfile:
    """Create ``user``'s reader profile, unpublished, from their latest approved application when there is one.

    The caller holds the transaction (the application approval, or ``reader_profile_get_or_create``).
    Specialties and tools are matched against the admin-managed lists; the reader picks the rest.
    """
    application = (
        user.reader_applications.filter(status=ApplicationStatus.APPROVED).order_by("-reviewed_at", "-pk").first()
    )
    profile = ReaderProfile(user=user, display_name=user.public_name[:60])
    if application is not None:
        profile.bio = application.bio
        profile.years_experience = application.years_experience
        _photo_copy_from_application(profile=profile, application=application)
    profile.save()
    if application is not None:
        profile.specialties.set(_match_terms(Specialty, application.specialties))
        profile.tools.set(_match_terms(Tool, application.tools))
    reader_search_vector_refresh(reader_ids=[profile.pk])
    return profile


def _photo_copy_from_application(*, profile: ReaderProfile, application: Any) -> None:
    """The application's photo is private (only admins saw it); the profile gets its own public copy."""
    if not application.photo:
        return
    try:
        with application.photo.open("rb") as source:
            reader_photo_store(profile=profile, source=source, name=application.photo.name)
    except PHOTO_READ_ERRORS:
        # A missing or unreadable file leaves the profile without a photo; the reader adds one before publishing.
        profile.photo = profile.photo_small = profile.photo_large = None  # type: ignore[assignment]


def reader_profile_get_or_create(*, user: Any) -> ReaderProfile:
    """The reader's own profile, created on first use (e.g. the first visit to the dashboard)."""
    _require_reader(user)
    existing = ReaderProfile.objects.filter(user=user).first()
    if existing is not None:
        return existing
    # A savepoint, not a durable transaction: this also runs inside the application approval. Two first
    # visits at once both try; the one-profile-per-user constraint lets one win and the other reads it.
    try:
        with transaction.atomic():
            return reader_profile_build(user=user)
    except IntegrityError:
        return ReaderProfile.objects.get(user=user)


def reader_search_vector_refresh(*, reader_ids: list[int] | None = None) -> None:
    """Rebuild the full-text document (name, headline, specialties, bio) of the given readers (all if None).

    One set-based UPDATE.
    """
    through = ReaderProfile.specialties.through
    specialty_names = Subquery(
        through.objects.filter(readerprofile_id=OuterRef("pk"))
        .values("readerprofile_id")
        .annotate(names=StringAgg("specialty__name", delimiter=" "))
        .values("names")
    )
    document = (
        SearchVector("display_name", weight="A", config="english")
        + SearchVector(Coalesce(specialty_names, Value(""), output_field=TextField()), weight="B", config="english")
        + SearchVector("headline", weight="B", config="english")
        + SearchVector("bio", weight="C", config="english")
    )
    qs = ReaderProfile.objects.all() if reader_ids is None else ReaderProfile.objects.filter(pk__in=reader_ids)
    qs.update(search_vector=document)


def reader_profile_missing(profile: ReaderProfile) -> list[str]:
    """What a profile still needs before it can be listed (labels for the reader)."""
    missing = [
        label
        for field, label in (
            ("display_name", "a display name"),
            ("headline", "a headline"),
            ("bio", "a bio"),
            ("photo", "a photo"),
        )
        if not getattr(profile, field)
    ]
    if not profile.specialties.exists():
        missing.append("at least one specialty")
    if not any(getattr(profile, selectors.rate_field(m)) is not None for m in selectors.available_modalities()):
        missing.append(
            "a per-minute rate for chat" + (", voice or video" if len(selectors.available_modalities()) > 1 else "")
        )
    return missing


def _lowest_rate(profile: ReaderProfile) -> Decimal | None:
    rates = [getattr(profile, selectors.rate_field(m)) for m in Modality.values]
    offered = [rate for rate in rates if rate is not None]
    return min(offered) if offered else None


def _reader_profile_save(
    profile: ReaderProfile,
    *,
    specialties: list[Specialty] | None,
    tools: list[Tool] | None,
    languages: list[Any] | None,
) -> None:
    """Validate and save the edited profile and its terms. The caller holds the transaction and the lock."""
    profile.lowest_rate_amount = _lowest_rate(profile)
    try:
        profile.full_clean(exclude=["user", "search_vector"])
    except ValidationError as error:
        raise ReaderProfileInvalid(" ".join(error.messages))
    profile.save()
    if specialties is not None:
        profile.specialties.set(specialties)
    if tools is not None:
        profile.tools.set(tools)
    if languages is not None:
        profile.languages.set(languages)
    if profile.is_published and (missing := reader_profile_missing(profile)):
        raise ReaderProfileIncomplete("A published profile needs " + ", ".join(missing) + ".")
    reader_search_vector_refresh(reader_ids=[profile.pk])
    reader_directory_changed()


@transaction.atomic(durable=True)
def reader_profile_update(
    *,
    actor: Any,
    data: dict[str, Any],
    photo: Any = None,
    specialties: list[Specialty] | None = None,
    tools: list[Tool] | None = None,
    languages: list[Any] | None = None,
    request: Any = None,
) -> ReaderProfile:
    """The reader edits their own profile and rates. Rate changes are audited; started sessions keep their rate."""
    _require_reader(actor)
    reader_profile_get_or_create(user=actor)
    profile = reader_profile_lock(user_id=actor.pk)
    before = {field: str(getattr(profile, field)) for field in RATE_FIELDS}
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(profile, field, data[field])
    if not selectors.agora_enabled() and any(
        data.get(f) is not None for f in ("voice_rate_amount", "video_rate_amount")
    ):
        raise IntegrationNotConfigured("Voice and video need Agora to be configured; for now you can offer chat.")
    replaced: list[str] = []
    if photo == "":
        replaced = reader_photo_clear(profile=profile)
    elif photo is not None:
        try:
            replaced = reader_photo_store(profile=profile, source=photo, name=photo.name)
        except PHOTO_READ_ERRORS:
            raise ReaderProfileInvalid("That photo could not be read; please upload a JPEG, PNG or WebP image.")
    try:
        _reader_profile_save(profile, specialties=specialties, tools=tools, languages=languages)
    except Exception:
        if photo:  # the change is rolled back: the files just stored belong to nothing
            reader_photo_files_delete([profile.photo.name, profile.photo_small.name, profile.photo_large.name])
        raise
    if replaced:
        transaction.on_commit(partial(reader_photo_files_delete, replaced))
    after = {field: str(getattr(profile, field)) for field in RATE_FIELDS}
    if after != before:
        audit_log_record(
            actor=actor,
            action="readers.rates_changed",
            target=profile,
            details={"before": before, "after": after},
            request=request,
        )
    return profile


@transaction.atomic(durable=True)
def reader_profile_publish(*, actor: Any, publish: bool) -> ReaderProfile:
    """The reader shows (or hides) their profile in the directory. Publishing needs a complete profile."""
    _require_reader(actor)
    reader_profile_get_or_create(user=actor)
    profile = reader_profile_lock(user_id=actor.pk)
    if publish and (missing := reader_profile_missing(profile)):
        raise ReaderProfileIncomplete("Before publishing, add " + ", ".join(missing) + ".")
    profile.is_published = publish
    profile.save(update_fields=["is_published", "updated_at"])
    reader_directory_changed()
    return profile


@transaction.atomic(durable=True)
def reader_profile_suspend(
    *, actor: Any, reader_id: int, suspend: bool, reason: str = "", request: Any = None
) -> ReaderProfile:
    """An admin takes a reader out of the directory (or back in). Audited."""
    if not getattr(actor, "is_admin", False):
        raise PermissionDeniedError()
    reason = (reason or "").strip()
    if suspend and not reason:
        raise ReaderProfileInvalid("Please give a reason for the suspension.")
    try:
        user_id = ReaderProfile.objects.values_list("user_id", flat=True).get(pk=reader_id)
    except ReaderProfile.DoesNotExist:
        raise ReaderNotFound()
    profile = reader_profile_lock(user_id=user_id)
    profile.is_suspended = suspend
    profile.suspension_reason = reason if suspend else ""
    if suspend:
        profile.presence = Presence.OFFLINE
    profile.save(update_fields=["is_suspended", "suspension_reason", "presence", "updated_at"])
    reader_directory_changed()
    audit_log_record(
        actor=actor,
        action="readers.suspended" if suspend else "readers.unsuspended",
        target=profile,
        details={"reason": reason},
        request=request,
    )
    return profile


# --- Rating --------------------------------------------------------------------------------------


def reader_rating_set(*, reader_user_id: int, average: Decimal, count: int) -> bool:
    """Store a reader's rating aggregate, computed by the reviews feature from its visible reviews.

    The caller holds the transaction and has locked the profile (``locks.reader_profile_lock``) before
    computing, so two reviews landing at once cannot leave a stale aggregate. Returns whether a profile
    was updated (a reader without a profile has nothing to show).
    """
    if count < 0 or not Decimal("0") <= average <= Decimal("5"):
        raise ValueError("A rating average is between 0 and 5 and a count is not negative.")
    updated = ReaderProfile.objects.filter(user_id=reader_user_id).update(
        rating_average=average.quantize(Decimal("0.01")), rating_count=count
    )
    if updated:
        reader_directory_changed()
    return bool(updated)


# --- Presence -----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def reader_presence_set(*, actor: Any, online: bool) -> ReaderProfile:
    """The reader goes online or offline from their dashboard. Coming online alerts who asked, once committed."""
    _require_reader(actor)
    reader_profile_get_or_create(user=actor)
    profile = reader_profile_lock(user_id=actor.pk)
    now = timezone.now()
    was_available = profile.presence != Presence.OFFLINE and (
        profile.last_seen_at is not None and profile.last_seen_at >= selectors.presence_cutoff(now)
    )
    if online and profile.is_suspended:
        raise PermissionDeniedError("Your profile is suspended; please contact support.")
    if online:
        profile.presence = Presence.BUSY if was_available and profile.presence == Presence.BUSY else Presence.ONLINE
    else:
        profile.presence = Presence.OFFLINE
    profile.last_seen_at = now
    profile.save(update_fields=["presence", "last_seen_at"])
    reader_directory_changed()
    if online and not was_available:
        outbox_enqueue(
            name=ONLINE_ALERTS_SEND,
            kwargs={"reader_id": profile.pk},
            dedupe_key=f"reader-online-alerts:{profile.pk}:{now.isoformat()}",
        )
    return profile


def reader_presence_heartbeat(*, actor: Any) -> bool:
    """Keep an online (or busy) reader online. A reader already timed out stays offline. Returns whether kept."""
    _require_reader(actor)
    now = timezone.now()
    return bool(
        ReaderProfile.objects.filter(
            user=actor, presence__in=[Presence.ONLINE, Presence.BUSY], last_seen_at__gte=selectors.presence_cutoff(now)
        ).update(last_seen_at=now)
    )


def reader_presence_set_busy(*, reader_user_id: int, busy: bool) -> bool:
    """For readings: an online reader becomes busy when one starts, and online again when it ends.

    A conditional UPDATE, safe inside the caller's transaction. Returns whether the status changed.
    """
    now = timezone.now()
    source, target = (Presence.ONLINE, Presence.BUSY) if busy else (Presence.BUSY, Presence.ONLINE)
    changed = ReaderProfile.objects.filter(
        user_id=reader_user_id, presence=source, last_seen_at__gte=selectors.presence_cutoff(now)
    ).update(presence=target, last_seen_at=now)
    if changed:
        reader_directory_changed()
    return bool(changed)


def reader_presence_expire() -> int:
    """Set every reader without a heartbeat for the timeout offline. One set-based conditional UPDATE."""
    expired = ReaderProfile.objects.filter(
        presence__in=[Presence.ONLINE, Presence.BUSY], last_seen_at__lt=selectors.presence_cutoff()
    ).update(presence=Presence.OFFLINE)
    if expired:
        reader_directory_changed()
    return expired


# --- Favorites and online alerts ----------------------------------------------------------------


def _listed_reader(*, viewer: Any, reader_id: int) -> ReaderProfile:
    try:
        return selectors.reader_listed_list().get(pk=reader_id)
    except ReaderProfile.DoesNotExist:
        raise ReaderNotFound()


def _not_self(viewer: Any, reader: ReaderProfile) -> None:
    if reader.user_id == viewer.pk:
        raise PermissionDeniedError("That is your own profile.")


@transaction.atomic(durable=True)
def reader_favorite_set(*, user: Any, reader_id: int, favorite: bool) -> bool:
    """Add a listed reader to ``user``'s favorites or remove them. Idempotent. Returns the new state."""
    reader = _listed_reader(viewer=user, reader_id=reader_id)
    _not_self(user, reader)
    if favorite:
        Favorite.objects.get_or_create(user=user, reader=reader)
    else:
        Favorite.objects.filter(user=user, reader=reader).delete()
    return favorite


@transaction.atomic(durable=True)
def reader_online_alert_set(*, user: Any, reader_id: int, enabled: bool) -> bool:
    """Ask to be told when a listed reader comes online (or stop). Idempotent. Returns the new state."""
    reader = _listed_reader(viewer=user, reader_id=reader_id)
    _not_self(user, reader)
    if enabled:
        OnlineAlert.objects.get_or_create(user=user, reader=reader)
    else:
        OnlineAlert.objects.filter(user=user, reader=reader).delete()
    return enabled


@outbox_handler(ONLINE_ALERTS_SEND)
def reader_online_alerts_send(*, reader_id: int) -> int:
    """Tell everyone who asked that ``reader_id`` is online: at most once per UTC day per reader and user.

    The (user, reader, day) unique key decides: two runs at once cannot both alert the same user.
    Returns the number of users alerted.
    """
    now = timezone.now()
    reader = selectors.reader_listed_list().filter(pk=reader_id).first()
    if reader is None or not reader.is_online_now:
        return 0
    url = reverse("readers:profile", args=[reader.pk])
    sent = 0
    alerts = OnlineAlert.objects.filter(reader_id=reader_id, user__is_active=True).select_related("user")
    for alert in alerts.order_by("pk").iterator(chunk_size=500):
        with transaction.atomic():
            _, created = OnlineAlertDelivery.objects.get_or_create(user=alert.user, reader_id=reader_id, day=now.date())
            if created:
                notify(
                    user=alert.user,
                    kind=Kind.READER_ONLINE,
                    title=f"{reader.display_name} is online now",
                    body=f"{reader.display_name} just came online on SoulSeer. {reader.headline}",
                    url=url,
                    email=True,
                )
                sent += 1
    return sent


# --- Taxonomy (specialties, tools, languages) ---------------------------------------------------

TAXONOMY_NAME_MIN_LENGTH = 2


def _require_admin(actor: Any) -> None:
    if not getattr(actor, "is_admin", False):
        raise PermissionDeniedError()


def _taxonomy_name_clean(*, model: type[Taxonomy], name: str, exclude_pk: int | None = None) -> str:
    name = " ".join((name or "").split())
    max_length = model._meta.get_field("name").max_length or 60
    if not TAXONOMY_NAME_MIN_LENGTH <= len(name) <= max_length:
        raise TaxonomyTermInvalid(f"A name is {TAXONOMY_NAME_MIN_LENGTH} to {max_length} characters long.")
    if not slugify(name):
        raise TaxonomyTermInvalid("A name needs at least one letter or digit.")
    if model.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise TaxonomyTermInvalid(f"“{name}” is already in the list.")
    return name


def _taxonomy_changed(*, term: Taxonomy) -> None:
    """The caller holds the transaction. Directory filters and (for specialties) search documents change."""
    reader_directory_changed()
    if isinstance(term, Specialty):
        reader_search_vector_refresh(reader_ids=list(term.readers.values_list("pk", flat=True)))


def _taxonomy_term_locked(*, kind: str, term_id: int) -> tuple[list[Taxonomy], Taxonomy]:
    terms = taxonomy_terms_lock(model=selectors.taxonomy_model(kind))
    for term in terms:
        if term.pk == term_id:
            return terms, term
    raise TaxonomyTermNotFound()


@transaction.atomic(durable=True)
def taxonomy_term_create(*, actor: Any, kind: str, name: str, request: Any = None) -> Taxonomy:
    """An admin adds a term at the end of its list. Audited."""
    _require_admin(actor)
    model = selectors.taxonomy_model(kind)
    terms = taxonomy_terms_lock(model=model)
    name = _taxonomy_name_clean(model=model, name=name)
    base = slugify(name)[:50]
    slug, suffix = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    term = model.objects.create(name=name, slug=slug, position=max((t.position for t in terms), default=0) + 10)
    audit_log_record(
        actor=actor, action=f"readers.{kind}_created", target=term, details={"name": name}, request=request
    )
    _taxonomy_changed(term=term)
    return term


@transaction.atomic(durable=True)
def taxonomy_term_rename(*, actor: Any, kind: str, term_id: int, name: str, request: Any = None) -> Taxonomy:
    """An admin renames a term. Its slug (in directory links) stays. Audited."""
    _require_admin(actor)
    _, term = _taxonomy_term_locked(kind=kind, term_id=term_id)
    before = term.name
    term.name = _taxonomy_name_clean(model=type(term), name=name, exclude_pk=term.pk)
    if term.name == before:
        return term
    term.save(update_fields=["name"])
    audit_log_record(
        actor=actor,
        action=f"readers.{kind}_renamed",
        target=term,
        details={"before": before, "after": term.name},
        request=request,
    )
    _taxonomy_changed(term=term)
    return term


@transaction.atomic(durable=True)
def taxonomy_term_move(*, actor: Any, kind: str, term_id: int, direction: str, request: Any = None) -> Taxonomy:
    """An admin moves a term one place up or down its list (the order readers and clients see). Audited."""
    _require_admin(actor)
    if direction not in TaxonomyMove.values:
        raise TaxonomyTermInvalid("Choose to move the entry up or down.")
    terms, term = _taxonomy_term_locked(kind=kind, term_id=term_id)
    index = terms.index(term)
    other = index - 1 if direction == TaxonomyMove.UP else index + 1
    if not 0 <= other < len(terms):
        raise TaxonomyTermInvalid(f"“{term.name}” is already {'first' if other < 0 else 'last'}.")
    terms[index], terms[other] = terms[other], terms[index]
    # Renumber the whole list, so terms that shared a position get a definite order too.
    for position, each in enumerate(terms, start=1):
        if each.position != position * 10:
            each.position = position * 10
            each.save(update_fields=["position"])
    audit_log_record(
        actor=actor,
        action=f"readers.{kind}_moved",
        target=term,
        details={"name": term.name, "direction": direction, "place": terms.index(term) + 1},
        request=request,
    )
    reader_directory_changed()
    return term


@transaction.atomic(durable=True)
def taxonomy_term_retire(*, actor: Any, kind: str, term_id: int, retired: bool, request: Any = None) -> Taxonomy:
    """An admin retires a term (no longer offered; profiles that use it keep it) or restores it. Audited."""
    _require_admin(actor)
    _, term = _taxonomy_term_locked(kind=kind, term_id=term_id)
    if term.is_retired == retired:
        return term
    term.is_retired = retired
    term.save(update_fields=["is_retired"])
    audit_log_record(
        actor=actor,
        action=f"readers.{kind}_{'retired' if retired else 'restored'}",
        target=term,
        details={"name": term.name, "readers": term.readers.count()},
        request=request,
    )
    reader_directory_changed()
    return term
