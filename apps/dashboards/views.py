from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own dashboard."""
    user = request.user
    if user.is_staff:
        return redirect("dashboards:admin")
    if user.is_reader:
        return redirect("dashboards:reader")
    return redirect("dashboards:client")


@login_required
def client(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/client.html")
