"""The analytics pages: a reader's own (``/dashboard/analytics/``) and the admins' (``/staff/analytics/``),
each with its CSV export of the same numbers."""

import csv
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.core.exceptions import InvalidInputError
from apps.core.permissions import reader_required, staff_required

from .charts import Chart, csv_rows
from .forms import PeriodForm
from .selectors import admin_report, reader_report


def _period_form(request: HttpRequest) -> PeriodForm:
    zone_name = getattr(request.user, "timezone", "") or "UTC"
    today = timezone.now().astimezone(ZoneInfo(zone_name)).date()
    return PeriodForm(request.GET, today=today, zone_name=zone_name)


def _page(request: HttpRequest, template: str, build) -> HttpResponse:
    form = _period_form(request)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    report = build(viewer=request.user, period=form.period())
    context = {"form": form, "report": report, "chart_specs": [chart.spec() for chart in report.charts]}
    return render(request, template, context)


def _csv(request: HttpRequest, build, name: str) -> HttpResponse:
    form = _period_form(request)
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        raise InvalidInputError(" ".join(errors))
    period = form.period()
    charts: list[Chart] = build(viewer=request.user, period=period).charts
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"soulseer-{name}-{period.first_day}-to-{period.last_day}-by-{period.grain}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(csv_rows(charts))
    return response


@reader_required
@require_GET
def reader_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "analytics/reader.html", reader_report)


@reader_required
@require_GET
def reader_export(request: HttpRequest) -> HttpResponse:
    return _csv(request, reader_report, "reader-analytics")


@staff_required
@require_GET
def staff_page(request: HttpRequest) -> HttpResponse:
    return _page(request, "analytics/staff.html", admin_report)


@staff_required
@require_GET
def staff_export(request: HttpRequest) -> HttpResponse:
    return _csv(request, admin_report, "platform-analytics")
