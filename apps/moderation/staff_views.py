"""Admin pages of the moderation queue, under /staff/moderation/."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required

from . import selectors, services
from .enums import ReportStatus
from .forms import ContentHideForm, ContentUnhideForm, ReportDecisionForm

REPORTS_PER_PAGE = 30


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ReportStatus.OPEN)
    reports = selectors.report_queue_list(viewer=request.user, status=status)
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(report, selectors.report_type_label(report)) for report in page.object_list]
    return render(
        request,
        "moderation/staff/queue.html",
        {"page": page, "status": status, "statuses": ReportStatus.choices, "rows": rows},
    )


@staff_required
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
            return redirect("staff_moderation:queue")
    return render(request, "moderation/staff/report_detail.html", {"detail": detail, "form": form})


def _back(request: HttpRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@staff_required
@require_http_methods(["GET", "POST"])
def content(request: HttpRequest, type_key: str, object_id: int) -> HttpResponse:
    """One piece of content (any registered type) and its reports: hide it with a reason, or show it again.

    The admin pages that list content (e.g. the reviews of readings) link here; the report page's "show again"
    posts here too and comes back with ``next``.
    """
    detail = selectors.content_detail_get(viewer=request.user, type_key=type_key, object_id=object_id)
    here = reverse("staff_moderation:content", args=[type_key, object_id])
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
    return render(request, "moderation/staff/content.html", context, status=400 if request.method == "POST" else 200)
