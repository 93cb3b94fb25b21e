"""Admin pages for accounts, under /staff/accounts/. Every view is staff_required (404 for everyone else)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required
from apps.moderation.selectors import user_moderation_summary

from .enums import ApplicationStatus
from .forms import ApplicationRejectForm, RoleChangeForm, UserSearchForm
from .selectors import (
    reader_application_get_for_review,
    reader_application_history_for_review,
    reader_application_list_for_review,
    user_get_for_admin,
    user_list_for_admin,
    user_role_history_for_admin,
)
from .services import reader_application_approve, reader_application_reject, user_set_role
from .views import file_response

APPLICATIONS_PER_PAGE = 20
USERS_PER_PAGE = 25


@staff_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    applications = reader_application_list_for_review(viewer=request.user, status=status)
    page = Paginator(applications, APPLICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": ApplicationStatus.choices}
    return render(request, "accounts/staff/application_list.html", context)


def _application_detail(request: HttpRequest, application_id: int, reject_form: ApplicationRejectForm, status=200):
    application = reader_application_get_for_review(viewer=request.user, application_id=application_id)
    history = reader_application_history_for_review(viewer=request.user, applicant=application.applicant)
    context = {"application": application, "history": history.exclude(pk=application.pk), "reject_form": reject_form}
    return render(request, "accounts/staff/application_detail.html", context, status=status)


@staff_required
@require_GET
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _application_detail(request, application_id, ApplicationRejectForm())


@staff_required
@require_GET
def application_photo(request: HttpRequest, application_id: int) -> FileResponse:
    application = reader_application_get_for_review(viewer=request.user, application_id=application_id)
    return file_response(application.photo)


@staff_required
@require_POST
@domain_errors_redirect("staff_accounts:application_detail", "application_id")
def application_approve(request: HttpRequest, application_id: int) -> HttpResponse:
    application = reader_application_approve(actor=request.user, application_id=application_id, request=request)
    messages.success(request, f"Approved. {application.applicant.email} is now a reader and will be emailed.")
    return redirect("staff_accounts:application_list")


@staff_required
@require_POST
@domain_errors_redirect("staff_accounts:application_detail", "application_id")
def application_reject(request: HttpRequest, application_id: int) -> HttpResponse:
    form = ApplicationRejectForm(request.POST)
    if not form.is_valid():
        return _application_detail(request, application_id, form, status=400)
    application = reader_application_reject(
        actor=request.user, application_id=application_id, reason=form.cleaned_data["reason"], request=request
    )
    messages.success(request, f"Rejected. {application.applicant.email} will be emailed the reason.")
    return redirect("staff_accounts:application_list")


@staff_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    users = user_list_for_admin(viewer=request.user, query=filters.get("q", ""), role=filters.get("role", ""))
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/staff/user_list.html", {"form": form, "page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    subject = user_get_for_admin(viewer=request.user, user_id=user_id)
    form = RoleChangeForm(request.POST or None, initial={"role": subject.role})
    if request.method == "POST" and form.is_valid():
        try:
            user_set_role(actor=request.user, user_id=subject.pk, request=request, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{subject.email} is now a {form.cleaned_data['role']}.")
            return redirect("staff_accounts:user_detail", user_id=subject.pk)
    context = {
        "subject": subject,
        "form": form,
        "history": user_role_history_for_admin(viewer=request.user, user=subject),
        "applications": reader_application_history_for_review(viewer=request.user, applicant=subject),
        "is_self": subject.pk == request.user.pk,
        "moderation": user_moderation_summary(subject),
    }
    return render(request, "accounts/staff/user_detail.html", context, status=400 if form.errors else 200)
