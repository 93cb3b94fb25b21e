"""The period an analytics page covers: a range of days in the viewer's time zone, split into buckets.

A range is whole local days, ``first_day`` to ``last_day`` included: it starts at midnight of ``first_day``
and ends at midnight after ``last_day`` in the viewer's zone (``start_at`` / ``end_at``, aware instants that
the queries compare with stored UTC times). Buckets are ISO weeks (Monday) or calendar months in that zone,
the same truncation PostgreSQL's ``date_trunc`` applies, so a bucket's key is the date it starts on. Every
bucket of the range is listed, whether or not anything happened in it.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import DateField, Expression
from django.db.models.functions import Trunc

from .enums import Grain


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    grain: str
    zone_name: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=self.zone)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def bucket_of(self, day: date) -> date:
        """The first day of the bucket ``day`` falls in."""
        if self.grain == Grain.MONTH:
            return day.replace(day=1)
        return day - timedelta(days=day.weekday())

    def bucket_at(self, at: datetime) -> date:
        """The bucket of an instant, seen in the viewer's zone."""
        return self.bucket_of(at.astimezone(self.zone).date())

    def buckets(self) -> list[date]:
        """Every bucket the range touches, oldest first (the first and last may be partly outside it)."""
        found = []
        bucket = self.bucket_of(self.first_day)
        while bucket <= self.last_day:
            found.append(bucket)
            bucket = _next_month(bucket) if self.grain == Grain.MONTH else bucket + timedelta(days=7)
        return found

    def bucket_label(self, bucket: date) -> str:
        if self.grain == Grain.MONTH:
            return bucket.strftime("%b %Y")
        return f"Week of {bucket:%d %b %Y}"

    def trunc(self, field: str | Expression) -> Trunc:
        """The bucket of a datetime column, computed by the database in the viewer's zone."""
        return Trunc(field, self.grain, output_field=DateField(), tzinfo=self.zone)


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
