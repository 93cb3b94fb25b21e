"""Admin pages of the core app, under /staff/core/."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .forms import AuditLogFilterForm
from .permissions import staff_required
from .selectors import audit_log_list

AUDIT_ROWS_PER_PAGE = 50


@staff_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Read-only view of the append-only audit log, filterable by action, actor and target."""
    form = AuditLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = audit_log_list(
        viewer=request.user,
        action=filters.get("action", ""),
        actor_email=filters.get("actor", ""),
        target=filters.get("target", ""),
    )
    page = Paginator(rows, AUDIT_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "core/staff/audit_log.html", {"form": form, "page": page})
