"""Admin-only page of this app, under /staff/moderation/: a user's moderator role and trust level."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required

from . import selectors, services
from .forms import TrustOverrideForm
from .roles import is_moderator
from .trust import computed_trust_level, trust_level, trust_override_get


@staff_required
@require_http_methods(["GET", "POST"])
def user(request: HttpRequest, user_id: int) -> HttpResponse:
    """Grant or revoke the moderator role, or set the trust level by hand (each audited)."""
    detail = selectors.user_moderation_get(viewer=request.user, user_id=user_id)
    subject = detail.subject
    override = trust_override_get(subject)
    action = request.POST.get("action") if request.method == "POST" else None
    trust_form = TrustOverrideForm(
        request.POST if action == "trust" else None, initial={"level": "" if override is None else override.level}
    )
    error = ""
    if action is not None:
        try:
            if action == "grant":
                services.moderator_grant(actor=request.user, user=subject, request=request)
                messages.success(request, f"{subject.email} is now a moderator.")
            elif action == "revoke":
                services.moderator_revoke(actor=request.user, user=subject, request=request)
                messages.success(request, f"{subject.email} is no longer a moderator.")
            elif action == "trust" and trust_form.is_valid():
                level = trust_form.cleaned_data["level"]
                services.trust_override_set(
                    actor=request.user, user=subject, level=int(level) if level else None, request=request
                )
                messages.success(request, "Trust level saved.")
            else:
                raise DomainError("Choose what to change.")
        except DomainError as refusal:
            error = refusal.message
        else:
            return redirect("staff_moderation:user", user_id=subject.pk)
    context = {
        "detail": detail,
        "subject": subject,
        "is_moderator": is_moderator(subject),
        "trust_level": trust_level(subject),
        "computed_level": computed_trust_level(subject),
        "override": override,
        "trust_form": trust_form,
        "error": error,
    }
    return render(request, "moderation/staff/user.html", context, status=400 if error else 200)
