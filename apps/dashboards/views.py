from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.core.permissions import reader_required, staff_required

from .sections import ADMIN_SECTIONS, CLIENT_SECTIONS, READER_SECTIONS, Section, sections_bind


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own dashboard."""
    user = request.user
    if user.is_staff:
        return redirect("dashboards:admin")
    if user.is_reader:
        return redirect("dashboards:reader")
    return redirect("dashboards:client")


def _dashboard(request: HttpRequest, title: str, sections: list[Section]) -> HttpResponse:
    context = {"dashboard_title": title, "sections": sections_bind(request, sections)}
    return render(request, "dashboards/dashboard.html", context)


@login_required
def client(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "Your dashboard", CLIENT_SECTIONS)


@reader_required
def reader(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "Reader dashboard", READER_SECTIONS)


@staff_required
def admin(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "Admin dashboard", ADMIN_SECTIONS)
