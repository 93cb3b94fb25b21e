"""The forums for admins, under /staff/community/ (MFA required; anyone else: 404): open and change forums."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from apps.core.permissions import staff_required
from apps.core.staff import staff_form_page

from . import selectors, services
from .forms import CategoryForm


@staff_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest) -> HttpResponse:
    return staff_form_page(
        request,
        CategoryForm(request.POST or None, initial={"visibility": "public", "posting": "members"}),
        save=lambda data: services.category_create(actor=request.user, **data),
        message=lambda created: f"The forum {created.name} is open.",
        success_url="staff_community:categories",
        template="community/staff/categories.html",
        context={"categories": selectors.category_list(viewer=request.user)},
    )


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
    return staff_form_page(
        request,
        CategoryForm(request.POST or None, initial=initial),
        save=lambda data: services.category_update(actor=request.user, category_id=pk, **data),
        message="Forum saved.",
        success_url="staff_community:categories",
        template="community/staff/category_edit.html",
        context={"category": category},
    )
