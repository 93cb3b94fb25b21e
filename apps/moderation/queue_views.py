"""The moderators' pages, under /moderation/queue/: the queue, one page per report, per object and per user.

Moderators are admins and users an admin gave the role (``roles.is_moderator``); everyone else gets 404. Like
admins, moderators need two-factor authentication on first (``roles.moderator_required``).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.exceptions import DomainError

from . import selectors, services
from .enums import ReportStatus, SuspensionPeriod
from .forms import ContentHideForm, ContentUnhideForm, LiftForm, ReportDecisionForm, SuspendForm
from .guards import active_suspension
from .roles import moderator_required

REPORTS_PER_PAGE = 30


@moderator_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ReportStatus.OPEN)
    if status not in ReportStatus.values:
        status = str(ReportStatus.OPEN)
    context: dict = {"status": status, "statuses": ReportStatus.choices}
    if status == ReportStatus.OPEN:
        page = Paginator(selectors.queue_items_list(viewer=request.user), REPORTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        context.update(page=page, items=selectors.queue_items(page.object_list))
    else:
        reports = selectors.report_queue_list(viewer=request.user, status=status)
        page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
        context.update(page=page, rows=[(report, selectors.report_type_label(report)) for report in page.object_list])
    return render(request, "moderation/queue/queue.html", context)


@moderator_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.report_detail_get(viewer=request.user, report_id=pk)
    form = ReportDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_decide(actor=request.user, report_id=pk, request=request, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Decision recorded.")
            return redirect("moderation:queue")
    return render(request, "moderation/queue/report_detail.html", {"detail": detail, "form": form})


def _back(request: HttpRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@moderator_required
@require_http_methods(["GET", "POST"])
def content(request: HttpRequest, type_key: str, object_id: int) -> HttpResponse:
    """One piece of content (any registered type) and its reports: hide it with a reason, or show it again.

    The admin pages that list content (e.g. the reviews of readings) link here; the report page's "show again"
    posts here too and comes back with ``next``.
    """
    detail = selectors.content_detail_get(viewer=request.user, type_key=type_key, object_id=object_id)
    here = reverse("moderation:content", args=[type_key, object_id])
    action = request.POST.get("action") if request.method == "POST" else None
    initial = {"next": request.GET.get("next", "")}
    hide_form = ContentHideForm(request.POST if action == "hide" else None, initial=initial)
    unhide_form = ContentUnhideForm(request.POST if action == "unhide" else None, initial=initial)
    form: Form | None = {"hide": hide_form, "unhide": unhide_form}.get(action or "")
    if form is not None and form.is_valid():
        fields = dict(form.cleaned_data)
        back = _back(request, fields.pop("next"), here)
        service = services.content_hide if action == "hide" else services.content_unhide
        try:
            service(actor=request.user, type_key=type_key, object_id=object_id, request=request, **fields)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Hidden." if action == "hide" else "Shown again.")
            return redirect(back)
    # A refusal (e.g. "not hidden" after another moderator acted) shows above whichever form the page now offers.
    refusals = form.non_field_errors() if form is not None else []
    context = {"detail": detail, "hide_form": hide_form, "unhide_form": unhide_form, "refusals": refusals}
    return render(request, "moderation/queue/content.html", context, status=400 if request.method == "POST" else 200)


@moderator_required
@require_http_methods(["GET", "POST"])
def user(request: HttpRequest, user_id: int) -> HttpResponse:
    """One user's moderation history; suspend them, or lift their suspension."""
    detail = selectors.user_moderation_get(viewer=request.user, user_id=user_id)
    action = request.POST.get("action") if request.method == "POST" else None
    suspend_form = SuspendForm(request.POST if action == "suspend" else None)
    lift_form = LiftForm(request.POST if action == "lift" else None)
    form: Form | None = {"suspend": suspend_form, "lift": lift_form}.get(action or "")
    if form is not None and form.is_valid():
        try:
            if form is suspend_form:
                services.user_suspend(
                    moderator=request.user,
                    user=detail.subject,
                    reason=form.cleaned_data["reason"],
                    until=services.suspension_until(form.cleaned_data["period"]),
                    request=request,
                )
            else:
                services.user_suspension_lift(
                    moderator=request.user, user=detail.subject, note=form.cleaned_data["note"], request=request
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Suspended." if form is suspend_form else "Suspension lifted.")
            return redirect("moderation:user", user_id=user_id)
    context = {
        "detail": detail,
        "suspension": active_suspension(detail.subject),
        "suspend_form": suspend_form,
        "lift_form": lift_form,
        "periods": SuspensionPeriod.choices,
    }
    return render(request, "moderation/queue/user.html", context, status=400 if form is not None else 200)
