"""Admin pages for readers: find a reader, suspend (with a reason) or reinstate; manage the specialties, tools
and languages readers pick from. Audited by the services."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.exceptions import DomainError, NotFound
from apps.core.permissions import staff_required

from . import selectors, services
from .enums import TaxonomyKind, TaxonomyMove
from .exceptions import TaxonomyTermInvalid
from .forms import SuspensionForm, TaxonomyTermForm


@staff_required
def reader_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    readers = selectors.reader_list_for_admin(viewer=request.user, search=search)
    page = Paginator(readers, 50).get_page(request.GET.get("page"))
    return render(request, "readers/staff/reader_list.html", {"page_obj": page, "search": search})


@staff_required
def reader_detail(request: HttpRequest, reader_id: int) -> HttpResponse:
    reader = selectors.reader_get_for_admin(viewer=request.user, reader_id=reader_id)
    form = SuspensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reader_profile_suspend(
                actor=request.user,
                reader_id=reader.pk,
                suspend=not reader.is_suspended,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"{reader.display_name} is {'reinstated' if reader.is_suspended else 'suspended'}."
            )
            return redirect("staff_readers:reader_detail", reader_id=reader.pk)
    return render(
        request,
        "readers/staff/reader_detail.html",
        {"reader": reader, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
def taxonomy(request: HttpRequest, kind: str) -> HttpResponse:
    """One list (specialties, tools or languages): its terms in order, and a form to add one."""
    if kind not in TaxonomyKind.values:
        raise NotFound()
    form = TaxonomyTermForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            term = services.taxonomy_term_create(
                actor=request.user, kind=kind, name=form.cleaned_data["name"], request=request
            )
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, f"“{term.name}” is added at the end of the list.")
            return redirect("staff_readers:taxonomy", kind=kind)
    return _taxonomy_page(request, kind, form=form)


_TERM_DONE = {"rename": "renamed", "up": "moved up", "down": "moved down", "retire": "retired", "restore": "restored"}


@staff_required
@require_POST
def taxonomy_term(request: HttpRequest, kind: str, term_id: int) -> HttpResponse:
    """Rename, move, retire or restore one term (the button pressed says which)."""
    action = request.POST.get("action", "")
    common = {"actor": request.user, "kind": kind, "term_id": term_id, "request": request}
    try:
        if action == "rename":
            term = services.taxonomy_term_rename(**common, name=request.POST.get("name", ""))
        elif action in TaxonomyMove.values:
            term = services.taxonomy_term_move(**common, direction=action)
        elif action in ("retire", "restore"):
            term = services.taxonomy_term_retire(**common, retired=action == "retire")
        else:
            raise TaxonomyTermInvalid("Choose what to do with the entry.")
    except NotFound:
        raise  # answered 404 by the middleware, like every unknown object
    except DomainError as error:
        return _taxonomy_page(request, kind, form=TaxonomyTermForm(prefix="new"), error=error.message, status=400)
    messages.success(request, f"“{term.name}” is {_TERM_DONE[action]}.")
    return redirect("staff_readers:taxonomy", kind=kind)


def _taxonomy_page(
    request: HttpRequest, kind: str, *, form: TaxonomyTermForm, error: str = "", status: int | None = None
) -> HttpResponse:
    terms = selectors.taxonomy_term_list_for_admin(viewer=request.user, kind=kind)
    context = {
        "kind": TaxonomyKind(kind),
        "kinds": TaxonomyKind,
        "terms": terms,
        "form": form,
        "error": error,
    }
    return render(request, "readers/staff/taxonomy.html", context, status=status or (400 if form.errors else 200))
