"""The reader's availability calendar: booking settings, weekly hours, date exceptions and blocked time.

Each form posts to its own URL. With HTMX the calendar is swapped in place (errors shown beside the form);
without JavaScript the page reloads (post, redirect, get), or is re-rendered with the form's errors.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.core.exceptions import DomainError
from apps.core.permissions import reader_required
from apps.core.ratelimit import rate_limited

from .constants import DURATION_CHOICES
from .forms import DateExceptionForm, ScheduleForm, TimeBlockForm, WeeklyWindowForm
from .selectors_slots import availability_calendar, availability_preview
from .services import availability as services

PAGE = "scheduling/availability.html"
BODY = "scheduling/partials/_availability_body.html"


def _forms(calendar: dict[str, Any], bound: dict[str, Form]) -> dict[str, Form]:
    schedule = calendar["schedule"]
    initial = {
        "timezone": calendar["reader_timezone"],
        "is_accepting": bool(schedule and schedule.is_accepting),
        "durations": list(schedule.durations) if schedule else list(DURATION_CHOICES),
        "buffer_before_minutes": schedule.buffer_before_minutes if schedule else 0,
        "buffer_after_minutes": schedule.buffer_after_minutes if schedule else 0,
        "min_notice_minutes": schedule.min_notice_minutes if schedule else 720,
        "horizon_days": schedule.horizon_days if schedule else 60,
    }
    forms = {
        "schedule_form": ScheduleForm(initial=initial, prefix="settings"),
        "window_form": WeeklyWindowForm(prefix="window"),
        "exception_form": DateExceptionForm(prefix="exception"),
        "block_form": TimeBlockForm(prefix="block"),
    }
    return {**forms, **bound}


def _render(
    request: HttpRequest, *, bound: dict[str, Form] | None = None, status: int = 200, notice: str = ""
) -> HttpResponse:
    calendar = availability_calendar(reader=request.user)
    preview = availability_preview(reader=request.user)
    context = {**calendar, **preview, **_forms(calendar, bound or {}), "notice": notice}
    return render(request, BODY if request.htmx else PAGE, context, status=status)


@reader_required
@require_GET
def availability(request: HttpRequest) -> HttpResponse:
    return _render(request)


@reader_required
@require_GET
def availability_panel(request: HttpRequest) -> HttpResponse:
    """For the reader dashboard: whether bookings are on, and the week's hours at a glance."""
    return render(request, "scheduling/partials/_availability_panel.html", availability_calendar(reader=request.user))


def _post(
    request: HttpRequest, *, form: Form, key: str, save: Callable[[dict[str, Any]], Any], done: str
) -> HttpResponse:
    """Validate ``form``, call the service; on success the calendar (HTMX) or a redirect, else the errors."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not request.htmx:
                messages.success(request, done)
                return redirect("scheduling:availability")
            return _render(request, notice=done)
    return _render(request, bound={key: form}, status=400)


@reader_required
@require_POST
def settings_save(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> Any:
        return services.reader_schedule_update(
            actor=request.user,
            has_scheduled_rate=availability_calendar(reader=request.user)["scheduled_rate"] is not None,
            request=request,
            **data,
        )

    form = ScheduleForm(request.POST, prefix="settings")
    return _post(request, form=form, key="schedule_form", save=save, done="Your booking settings are saved.")


@reader_required
@require_POST
@rate_limited("scheduling.availability", what="availability changes")
def window_add(request: HttpRequest) -> HttpResponse:
    form = WeeklyWindowForm(request.POST, prefix="window")
    return _post(
        request,
        form=form,
        key="window_form",
        save=lambda data: services.weekly_window_add(actor=request.user, request=request, **data),
        done="The hours are added.",
    )


@reader_required
@require_POST
@rate_limited("scheduling.availability", what="availability changes")
def exception_add(request: HttpRequest) -> HttpResponse:
    form = DateExceptionForm(request.POST, prefix="exception")
    return _post(
        request,
        form=form,
        key="exception_form",
        save=lambda data: services.date_exception_add(
            actor=request.user,
            on=data["date"],
            kind=data["kind"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            request=request,
        ),
        done="The date is saved.",
    )


@reader_required
@require_POST
@rate_limited("scheduling.availability", what="availability changes")
def block_add(request: HttpRequest) -> HttpResponse:
    form = TimeBlockForm(request.POST, prefix="block")
    return _post(
        request,
        form=form,
        key="block_form",
        save=lambda data: services.time_block_add(actor=request.user, request=request, **data),
        done="The time is blocked.",
    )


def _removed(request: HttpRequest, done: str) -> HttpResponse:
    if request.htmx:
        return _render(request, notice=done)
    messages.success(request, done)
    return redirect("scheduling:availability")


@reader_required
@require_POST
def window_remove(request: HttpRequest, window_id: int) -> HttpResponse:
    services.weekly_window_remove(actor=request.user, window_id=window_id, request=request)
    return _removed(request, "The hours are removed.")


@reader_required
@require_POST
def exception_remove(request: HttpRequest, exception_id: int) -> HttpResponse:
    services.date_exception_remove(actor=request.user, exception_id=exception_id, request=request)
    return _removed(request, "The date is removed.")


@reader_required
@require_POST
def block_remove(request: HttpRequest, block_id: int) -> HttpResponse:
    services.time_block_remove(actor=request.user, block_id=block_id, request=request)
    return _removed(request, "The blocked time is removed.")
