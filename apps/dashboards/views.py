from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.core.permissions import reader_required, staff_required

from .sections import dashboard_sections, sections_bind


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own dashboard."""
    user = request.user
    if user.is_staff:
        return redirect("dashboards:admin")
    if user.is_reader:
        return redirect("dashboards:reader")
    return redirect("dashboards:client")


def _dashboard(request: HttpRequest, title: str, role: str) -> HttpResponse:
    context = {"dashboard_title": title, "sections": sections_bind(request, dashboard_sections(role))}
    return render(request, "dashboards/dashboard.html", context)


@login_required
def client(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "Your dashboard", "client")


@reader_required
def reader(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "Reader dashboard", "reader")


@staff_required
def admin(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "Admin dashboard", "admin")
