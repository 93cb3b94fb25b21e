"""The period of an analytics page: local days, buckets, and the range picker's rules."""

from datetime import UTC, date, datetime

import pytest

from apps.analytics.forms import MAX_RANGE_DAYS, PeriodForm
from apps.analytics.periods import Period

TODAY = date(2026, 12, 7)


def test_period_starts_and_ends_at_local_midnights():
    period = Period(first_day=date(2026, 3, 1), last_day=date(2026, 3, 31), grain="week", zone_name="Asia/Tokyo")
    assert period.start_at == datetime(2026, 2, 28, 15, tzinfo=UTC)
    assert period.end_at == datetime(2026, 3, 31, 15, tzinfo=UTC)
    assert period.days == 31


def test_period_months_cross_the_year_and_weeks_start_on_monday():
    months = Period(first_day=date(2025, 11, 15), last_day=date(2026, 2, 3), grain="month", zone_name="UTC")
    assert months.buckets() == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert months.bucket_label(date(2026, 1, 1)) == "Jan 2026"
    weeks = Period(first_day=date(2026, 3, 1), last_day=date(2026, 3, 16), grain="week", zone_name="UTC")
    assert weeks.buckets() == [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    assert weeks.bucket_label(date(2026, 3, 2)) == "Week of 02 Mar 2026"


def test_period_bucket_of_an_instant_is_seen_in_the_viewers_zone():
    period = Period(first_day=date(2026, 3, 1), last_day=date(2026, 3, 31), grain="week", zone_name="America/New_York")
    # Monday 03:00 UTC is still Sunday evening in New York: the week before
    assert period.bucket_at(datetime(2026, 3, 2, 3, tzinfo=UTC)) == date(2026, 2, 23)


def _form(**data) -> PeriodForm:
    return PeriodForm(data, today=TODAY, zone_name="UTC")


def test_period_form_without_dates_means_the_last_90_days_by_week():
    form = PeriodForm({}, today=TODAY, zone_name="UTC")
    assert form.is_valid()
    period = form.period()
    assert (period.first_day, period.last_day, period.grain, period.days) == (date(2026, 9, 9), TODAY, "week", 90)


@pytest.mark.parametrize(("days", "valid"), [(MAX_RANGE_DAYS, True), (MAX_RANGE_DAYS + 1, False), (1, True)])
def test_period_form_accepts_at_most_two_years(days, valid):
    first = date.fromordinal(TODAY.toordinal() - days + 1)
    form = _form(first_day=first.isoformat(), last_day=TODAY.isoformat(), grain="month")
    assert form.is_valid() is valid


def test_period_form_defaults_the_grain_to_week_when_only_dates_are_given():
    form = _form(first_day="2026-11-01", last_day="2026-11-30")
    assert form.is_valid()
    assert form.period().grain == "week"
