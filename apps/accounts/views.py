"""Pages a signed-in user uses for their own account: settings and the reader application."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import DomainError
from apps.core.permissions import has_verified_email
from apps.core.ratelimit import rate_limited

from .enums import ApplicationStatus
from .forms import ProfileForm, ReaderApplicationForm
from .selectors import reader_application_get_for_applicant, reader_application_latest_for_applicant, user_has_totp
from .services import reader_application_submit, user_update_profile


def file_response(field_file: FieldFile) -> FileResponse:
    """Stream a stored image from the configured storage (local disk or R2) to an authorised viewer."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404
    content_type = mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("accounts.settings", what="settings changes")
def settings_view(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, request.FILES or None, initial=ProfileForm.initial_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            user_update_profile(user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your settings were saved.")
            return redirect("accounts:settings")
    context = {"form": form, "has_totp": user_has_totp(user=request.user)}
    return render(request, "accounts/settings.html", context, status=400 if form.errors else 200)


@login_required
def avatar_view(request: HttpRequest) -> FileResponse:
    return file_response(request.user.avatar)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("accounts.reader_application", what="reader applications")
def reader_application_view(request: HttpRequest) -> HttpResponse:
    latest = reader_application_latest_for_applicant(viewer=request.user)
    is_verified = has_verified_email(request.user)
    can_apply = (
        request.user.is_client and is_verified and (latest is None or latest.status == ApplicationStatus.REJECTED)
    )
    form = ReaderApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and can_apply and form.is_valid():
        try:
            reader_application_submit(applicant=request.user, request=request, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Thank you! Your application was sent. We will email you once it is reviewed.")
            return redirect("accounts:reader_application")
    if request.method == "POST" and not can_apply:
        messages.error(request, "You cannot send a new application right now; see the status below.")
        return redirect("accounts:reader_application")
    context = {"latest": latest, "form": form, "can_apply": can_apply, "is_verified": is_verified}
    return render(request, "accounts/reader_application.html", context, status=400 if form.errors else 200)


@login_required
def reader_application_photo_view(request: HttpRequest, application_id: int) -> FileResponse:
    application = reader_application_get_for_applicant(viewer=request.user, application_id=application_id)
    return file_response(application.photo)
