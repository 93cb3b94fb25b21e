"""Admin pages for readers: find a reader, suspend (with a reason) or reinstate. Audited by the service."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required

from . import selectors, services
from .forms import SuspensionForm
from .models import ReaderProfile


@staff_required
def reader_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    readers = selectors.reader_list_for_admin(viewer=request.user, search=search)
    page = Paginator(readers, 50).get_page(request.GET.get("page"))
    return render(request, "readers/staff/reader_list.html", {"page_obj": page, "search": search})


@staff_required
def reader_detail(request: HttpRequest, reader_id: int) -> HttpResponse:
    try:
        reader = selectors.reader_list_for_admin(viewer=request.user).get(pk=reader_id)
    except ReaderProfile.DoesNotExist:
        raise Http404
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
