"""The user's own privacy pages: data export (/accounts/export/) and account deletion (/accounts/delete-account/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.ratelimit import rate_limit_for

from .constants import DELETION_GRACE, EXPORT_RATE_SCOPE, SESSION_DELETION_KEY
from .forms import DeletionRequestForm
from .selectors import (
    deletion_blockers,
    deletion_open,
    deletion_wallet_balance,
    export_latest,
)
from .services import (
    deletion_cancel,
    deletion_confirm,
    deletion_request,
    deletion_token_request,
    export_download_link,
    export_request,
)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_redirect("privacy:export")
def export_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        export_request(user=request.user, request=request)
        messages.success(request, "We are preparing your export. We will email you a download link when it is ready.")
        return redirect("privacy:export")
    export = export_latest(viewer=request.user)
    context = {
        "export": export,
        # A ready export whose file's time is over (before the hourly job marks it) reads as expired.
        "is_expired": export is not None and export.expires_at is not None and export.expires_at <= timezone.now(),
        "rate_limit": rate_limit_for(EXPORT_RATE_SCOPE),
    }
    return render(request, "privacy/export.html", context)


@login_required
@require_GET
def export_download_view(request: HttpRequest) -> HttpResponse:
    """A fresh download link (valid 24 hours, bound to the viewer) to their ready export."""
    return redirect(export_download_link(user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def delete_view(request: HttpRequest) -> HttpResponse:
    form = DeletionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deletion_request(user=request.user, request=request, **form.cleaned_data)
        except DomainError as error:
            form.add_error("password" if error.code == "WrongPassword" else None, error.message)
        else:
            messages.success(request, "We sent you an email. Open the link in it to confirm the deletion.")
            return redirect("privacy:delete")
    context = {
        "form": form,
        "open_request": deletion_open(viewer=request.user),
        "blockers": deletion_blockers(viewer=request.user),
        "wallet_balance": deletion_wallet_balance(viewer=request.user),
        "grace_days": DELETION_GRACE.days,
    }
    return render(request, "privacy/delete.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def delete_confirm_view(request: HttpRequest) -> HttpResponse:
    """The emailed link: shows what will happen (GET), and confirms on the button (POST)."""
    token = request.GET.get("token", "")
    if request.method == "POST":
        deletion = deletion_confirm(user=request.user, token=token, request=request)
        assert deletion.scheduled_for is not None
        request.session[SESSION_DELETION_KEY] = deletion.scheduled_for.isoformat()
        messages.success(request, "Deletion confirmed. You can still cancel it until the date shown.")
        return redirect("privacy:delete")
    deletion = deletion_token_request(user=request.user, token=token)
    return render(request, "privacy/delete_confirm.html", {"deletion": deletion, "grace_days": DELETION_GRACE.days})


@login_required
@require_POST
@domain_errors_redirect("privacy:delete")
def delete_cancel_view(request: HttpRequest) -> HttpResponse:
    deletion_cancel(user=request.user, request=request)
    request.session.pop(SESSION_DELETION_KEY, None)
    messages.success(request, "Your account will not be deleted.")
    return redirect("privacy:delete")
