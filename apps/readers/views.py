import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.integrations import integrations_status
from apps.core.parsing import ids_from_csv
from apps.core.permissions import reader_required
from apps.core.ratelimit import rate_limited

from . import selectors, services
from .cache import directory_fragments
from .constants import DIRECTORY_PAGE_SIZE, PRESENCE_HEARTBEAT_SECONDS
from .forms import DirectoryFilterForm, ReaderProfileForm
from .models import ReaderProfile

# --- Directory and public profile ---------------------------------------------------------------


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    params = [(key, value) for key, values in request.GET.lists() for value in values]
    form = functools.cache(lambda: DirectoryFilterForm(request.GET or None, choices=selectors.taxonomy_choices()))
    builders = {"results": lambda: _directory_results_html(request, form())}
    if request.htmx and not request.htmx.history_restore_request and not request.htmx.boosted:
        return HttpResponse(directory_fragments(params=params, builders=builders)["results"])
    builders["filters"] = lambda: render_to_string("readers/partials/_filters.html", {"form": form()})
    if request.user.is_authenticated or len(messages.get_messages(request)):
        fragments = directory_fragments(params=params, builders=builders)
        context = {"results_html": fragments["results"], "form_html": fragments["filters"]}
        return render(request, "readers/directory.html", context)
    # Signed-out visitors without pending messages all get the same page, so it is shared whole. It needs no
    # CSRF token (nothing on it posts), and leaving the token out keeps one visitor's token from another.
    page = directory_fragments(
        params=params, builders={"anonymous_page": lambda: _anonymous_page(request, params, builders)}
    )
    return HttpResponse(page["anonymous_page"])


def _anonymous_page(request: HttpRequest, params: list[tuple[str, str]], builders: dict) -> str:
    fragments = directory_fragments(params=params, builders=builders)
    context = {"results_html": fragments["results"], "form_html": fragments["filters"], "csrf_token": ""}
    return render_to_string("readers/directory.html", context, request)


def _directory_results_html(request: HttpRequest, form: DirectoryFilterForm) -> str:
    """The results fragment. Nothing in it depends on who asks, so it can be shared through the cache."""
    readers = selectors.reader_directory_list(query=form.directory_query())
    page = Paginator(readers, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "querystring": _querystring_without_page(request),
        "page_ids": ",".join(str(reader.pk) for reader in page),
        "integrations": integrations_status(),
    }
    return render_to_string("readers/partials/_results.html", context)


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    reader = selectors.reader_public_get(viewer=request.user, reader_id=pk)
    relation = selectors.reader_relation_for(viewer=request.user, reader_id=reader.pk)
    return render(request, "readers/profile.html", {"reader": reader, **relation})


@require_GET
def presence(request: HttpRequest) -> HttpResponse:
    """Live status badges (out-of-band swaps) for the readers on the page."""
    ids = ids_from_csv(request.GET.get("ids", ""))
    statuses = selectors.reader_presence_map(reader_ids=ids)
    return render(request, "readers/partials/_presence_updates.html", {"statuses": statuses.items()})


@login_required
@require_POST
@rate_limited("readers.favorite", what="favorite changes")
@domain_errors_redirect("readers:profile", "pk")
def favorite(request: HttpRequest, pk: int) -> HttpResponse:
    services.reader_favorite_set(user=request.user, reader_id=pk, favorite=request.POST.get("favorite") == "1")
    return _relation_response(request, pk)


@login_required
@require_POST
@rate_limited("readers.online_alert", what="online alert changes")
@domain_errors_redirect("readers:profile", "pk")
def online_alert(request: HttpRequest, pk: int) -> HttpResponse:
    services.reader_online_alert_set(user=request.user, reader_id=pk, enabled=request.POST.get("enabled") == "1")
    return _relation_response(request, pk)


def _relation_response(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.htmx:
        return redirect("readers:profile", pk=pk)
    reader = selectors.reader_listed_get(reader_id=pk)
    relation = selectors.reader_relation_for(viewer=request.user, reader_id=pk)
    return render(request, "readers/partials/_relation.html", {"reader": reader, **relation})


@login_required
@require_GET
def favorites(request: HttpRequest) -> HttpResponse:
    return render(request, "readers/favorites.html", _favorites_context(request))


@login_required
@require_GET
def favorites_panel(request: HttpRequest) -> HttpResponse:
    """For the client dashboard: favorite readers with live status."""
    return render(request, "readers/partials/_favorites_panel.html", _favorites_context(request))


def _favorites_context(request: HttpRequest) -> dict:
    favorites = list(selectors.favorite_list(viewer=request.user))
    return {"favorites": favorites, "favorite_ids_csv": ",".join(str(reader.pk) for reader in favorites)}


# --- Reader dashboard ---------------------------------------------------------------------------


@reader_required
def dashboard_profile(request: HttpRequest) -> HttpResponse:
    """The reader edits their profile and rates."""
    services.reader_profile_get_or_create(user=request.user)
    reader = selectors.reader_own_get(user=request.user)
    form = ReaderProfileForm(request.POST or None, request.FILES or None, instance=reader)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        photo = data.get("photo")
        try:
            services.reader_profile_update(
                actor=request.user,
                data={k: v for k, v in data.items() if k in services.PROFILE_FIELDS},
                photo=photo if isinstance(photo, UploadedFile) else ("" if photo is False else None),
                specialties=list(data["specialties"]),
                tools=list(data["tools"]),
                languages=list(data["languages"]),
                request=request,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("readers:dashboard_profile")
    return render(request, "readers/dashboard_profile.html", _panel_context(request, form=form))


def _panel_context(request: HttpRequest, **extra: object) -> dict:
    reader = selectors.reader_own_get(user=request.user)
    return {
        "reader": reader,
        "missing": services.reader_profile_missing(reader),
        "heartbeat_seconds": PRESENCE_HEARTBEAT_SECONDS,
        **extra,
    }


@reader_required
@require_GET
def dashboard_profile_panel(request: HttpRequest) -> HttpResponse:
    """For the reader dashboard: status (go online/offline), publication and what the profile still needs."""
    try:
        context = _panel_context(request)
    except ReaderProfile.DoesNotExist:
        services.reader_profile_get_or_create(user=request.user)  # a new reader's first visit makes the profile
        context = _panel_context(request)
    return render(request, "readers/partials/_dashboard_panel.html", context)


@reader_required
@require_POST
@domain_errors_redirect("readers:dashboard_profile")
def presence_set(request: HttpRequest) -> HttpResponse:
    services.reader_presence_set(actor=request.user, online=request.POST.get("online") == "1")
    return _panel_response(request)


@reader_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    try:
        services.reader_profile_publish(actor=request.user, publish=request.POST.get("publish") == "1")
    except DomainError as error:
        messages.error(request, error.message)
        if request.htmx:
            return render(
                request, "readers/partials/_dashboard_panel.html", _panel_context(request, error=error.message)
            )
    return _panel_response(request)


def _panel_response(request: HttpRequest) -> HttpResponse:
    if request.htmx:
        return render(request, "readers/partials/_dashboard_panel.html", _panel_context(request))
    return redirect("readers:dashboard_profile")


@reader_required
@require_POST
def presence_heartbeat(request: HttpRequest) -> HttpResponse:
    kept = services.reader_presence_heartbeat(actor=request.user)
    return JsonResponse({"online": kept})
