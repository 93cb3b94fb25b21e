"""Signing in while the account is scheduled for deletion offers to cancel it (a banner on every page).

A signal is the one way to hear about django-allauth's sign-ins; the receiver only reads and sets the session."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .constants import SESSION_DELETION_KEY
from .enums import DeletionStatus
from .models import DeletionRequest


@receiver(user_logged_in, dispatch_uid="privacy.deletion_banner")
def deletion_banner_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    scheduled = (
        DeletionRequest.objects.filter(user=user, status=DeletionStatus.SCHEDULED)
        .values_list("scheduled_for", flat=True)
        .first()
    )
    if scheduled is None:
        request.session.pop(SESSION_DELETION_KEY, None)
        return
    request.session[SESSION_DELETION_KEY] = scheduled.isoformat()
    messages.warning(
        request,
        "Your account is scheduled for deletion. You can still keep it: cancel the deletion below.",
        fail_silently=True,  # sign-ins without the messages middleware (Client.login) still get the banner
    )
