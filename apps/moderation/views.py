from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import DomainError

from . import services
from .forms import ReportForm


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, type_key: str, object_id: int) -> HttpResponse:
    """Report one piece of content (any registered type) to the moderators."""
    target = services.report_target_get(reporter=request.user, type_key=type_key, object_id=object_id)
    form = ReportForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(reporter=request.user, type_key=type_key, object_id=target.pk, **_fields(form))
        except DomainError as error:
            form.add_error(None, error.message)
            status = error.status_code  # 429 past the flag rate limit, 409 for a second flag
        else:
            messages.success(request, "Thank you. A moderator will review your report.")
            return redirect(_safe_next(request, form.cleaned_data["next"]))
    elif request.method == "POST":
        status = 400
    context = {"form": form, "back_url": _safe_next(request, form["next"].value() or "")}
    return render(request, "moderation/report.html", context, status=status)


def _fields(form: ReportForm) -> dict[str, str]:
    return {"reason": form.cleaned_data["reason"], "details": form.cleaned_data["details"]}
