"""Admins grant the moderator role and set trust levels by hand."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.core.exceptions import InvalidInputError, InvalidStateError
from apps.core.services import audit_log_record
from apps.notifications.services import notify

from ..locks import user_lock
from ..models import ModeratorGrant, TrustOverride
from ..roles import moderator_cache_clear
from ..trust import TrustLevel, trust_cache_clear
from .common import (
    MODERATOR_ROLE_KIND,
    _require_admin,
)

# --- Moderators and trust levels (admins only) ---------------------------------------------------------------


@transaction.atomic(durable=True)
def moderator_grant(*, actor: Any, user: Any, request: HttpRequest | None = None) -> ModeratorGrant:
    """An admin makes ``user`` a moderator. Audited; the user is told."""
    _require_admin(actor)
    user = user_lock(user_id=user.pk)
    if user.is_staff:
        raise InvalidInputError("Admins are moderators already.")
    if ModeratorGrant.objects.filter(user_id=user.pk, revoked_at__isnull=True).exists():
        raise InvalidStateError("This user is already a moderator.")
    grant = ModeratorGrant.objects.create(user=user, granted_by=actor, granted_at=timezone.now())
    notify(
        user=user,
        kind=MODERATOR_ROLE_KIND,
        title="You are now a moderator",
        body="You can work the moderation queue once two-factor authentication is on for your account.",
        email=True,
    )
    audit_log_record(
        actor=actor, action="moderation.moderator_granted", target=user, details={"grant_id": grant.pk}, request=request
    )
    moderator_cache_clear(user)
    return grant


@transaction.atomic(durable=True)
def moderator_revoke(*, actor: Any, user: Any, request: HttpRequest | None = None) -> ModeratorGrant:
    """An admin takes the moderator role back from ``user``. Audited; the user is told."""
    _require_admin(actor)
    user = user_lock(user_id=user.pk)
    grant = ModeratorGrant.objects.filter(user_id=user.pk, revoked_at__isnull=True).first()
    if grant is None:
        raise InvalidStateError("This user is not a moderator.")
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    notify(user=user, kind=MODERATOR_ROLE_KIND, title="You are no longer a moderator", email=True)
    audit_log_record(
        actor=actor, action="moderation.moderator_revoked", target=user, details={"grant_id": grant.pk}, request=request
    )
    moderator_cache_clear(user)
    return grant


@transaction.atomic(durable=True)
def trust_override_set(
    *, actor: Any, user: Any, level: int | None, request: HttpRequest | None = None
) -> TrustOverride | None:
    """An admin sets ``user``'s trust level by hand (None: back to the computed level). Audited."""
    _require_admin(actor)
    if level is not None and level not in {level.value for level in TrustLevel}:
        raise InvalidInputError("Choose a trust level.")
    user = user_lock(user_id=user.pk)
    previous = TrustOverride.objects.filter(user_id=user.pk).values_list("level", flat=True).first()
    if level is None:
        if previous is None:
            raise InvalidStateError("This user's trust level is already the computed one.")
        TrustOverride.objects.filter(user_id=user.pk).delete()
        override = None
    else:
        override, _ = TrustOverride.objects.update_or_create(
            user=user, defaults={"level": level, "set_by": actor, "set_at": timezone.now()}
        )
    audit_log_record(
        actor=actor,
        action="moderation.trust_level_set",
        target=user,
        details={"level": level, "previous": previous},
        request=request,
    )
    trust_cache_clear(user)
    return override
