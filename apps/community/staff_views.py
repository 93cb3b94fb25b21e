"""The forums for admins, under /staff/community/ (MFA required; anyone else: 404): open and change forums."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required

from . import selectors, services
from .forms import CategoryForm


@staff_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None, initial={"visibility": "public", "posting": "members"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.category_create(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"The forum {created.name} is open.")
                return redirect("staff_community:categories")
        status = 400
    context = {"categories": selectors.category_list(viewer=request.user), "form": form}
    return render(request, "community/staff/categories.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = selectors.category_get_for_admin(viewer=request.user, category_id=pk)
    initial = {
        "name": category.name,
        "description": category.description,
        "position": category.position,
        "visibility": category.visibility,
        "posting": category.posting,
    }
    form = CategoryForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.category_update(actor=request.user, category_id=pk, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Forum saved.")
                return redirect("staff_community:categories")
        status = 400
    return render(request, "community/staff/category_edit.html", {"category": category, "form": form}, status=status)
