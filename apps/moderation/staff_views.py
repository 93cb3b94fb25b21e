"""Admin pages of the moderation queue, under /staff/moderation/."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required

from . import selectors, services
from .enums import ReportStatus
from .forms import ReportDecisionForm
from .models import Report

REPORTS_PER_PAGE = 30


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ReportStatus.OPEN)
    reports = selectors.report_queue_list(viewer=request.user, status=status)
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "moderation/staff/queue.html", {"page": page, "status": status, "statuses": ReportStatus.choices}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        detail = selectors.report_detail_get(viewer=request.user, report_id=pk)
    except Report.DoesNotExist:
        raise Http404
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
