"""Slots benchmark: the booking page's slots partial for a 60-day window, for a reader with a year of weekly
availability (days off through the year) and 500 bookings, next to a plain-SQL ``generate_series`` baseline of
the same question in the same run.

It seeds a dedicated database once (migrations, one listed reader in Europe/London open Monday to Friday
09:00–12:00 and 13:00–18:00 and Saturday 10:00–14:00 with 10-minute buffers, 30 days off spread over the year,
500 bookings of 30 minutes spread over the year, one client in America/New_York), then alternates:

- *partial*: ``GET /bookings/reader/<id>/slots/?duration=30&days=60`` through Django's test client with HTMX's
  header, signed in as the client: middleware, the selectors' four queries, the slot computation in Python,
  and rendering the 60 days of slots in the client's zone;
- *plain SQL*: one statement: every quarter hour of the window from ``generate_series``, kept when it is inside
  a weekly window (in the reader's zone), not on a day off, clear of bookings with their buffers and of blocks,
  and past the minimum notice. It answers the same question without rendering (and without the extra-hours and
  clock-change rules, which the seed does not exercise), so the counts must agree.

Usage: python bench/slots/bench.py [--rounds 200]
Environment: BENCH_SLOTS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/soulseer_bench_slots).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get("BENCH_SLOTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/soulseer_bench_slots")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")

READER_EMAIL = "bench-slots-reader@example.com"
CLIENT_EMAIL = "bench-slots-client@example.com"
BOOKINGS = 500

BASELINE_SQL = """
WITH p AS (
    SELECT %(t0)s::timestamptz AS t0, %(t1)s::timestamptz AS t1, %(earliest)s::timestamptz AS earliest,
           %(horizon)s::timestamptz AS horizon, %(tz)s::text AS tz, make_interval(mins => %(duration)s) AS dur,
           make_interval(mins => %(pad)s) AS pad, %(reader)s::bigint AS reader
), candidate AS (
    SELECT g AS s, (g AT TIME ZONE p.tz) AS local_start, ((g + p.dur) AT TIME ZONE p.tz) AS local_end
    FROM p, generate_series(p.t0, p.t1 - interval '1 minute', interval '15 minutes') AS g
    WHERE g >= p.earliest AND g < p.horizon
)
SELECT c.s FROM candidate c, p
WHERE EXISTS (
    SELECT 1 FROM scheduling_weeklywindow w
    WHERE w.reader_id = p.reader AND w.weekday = extract(isodow FROM c.local_start)::int - 1
      AND c.local_start::time >= w.start_time
      AND c.local_end <= c.local_start::date + CASE WHEN w.end_time = '00:00' THEN interval '24 hours'
                                                    ELSE w.end_time - time '00:00' END)
AND NOT EXISTS (
    SELECT 1 FROM scheduling_dateexception e
    WHERE e.reader_id = p.reader AND e.kind = 'day_off' AND e.date = c.local_start::date)
AND NOT EXISTS (
    SELECT 1 FROM scheduling_booking b
    WHERE b.reader_id = p.reader AND b.status IN ('confirmed', 'in_progress')
      AND b.starts_at < c.s + p.dur + p.pad AND b.ends_at > c.s - p.pad)
AND NOT EXISTS (
    SELECT 1 FROM scheduling_timeblock t
    WHERE t.reader_id = p.reader AND t.starts_at < c.s + p.dur AND t.ends_at > c.s)
ORDER BY c.s
"""


def ensure_database() -> None:
    parts = urlparse(BENCH_URL)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    name = parts.path.lstrip("/")
    found = subprocess.run(
        ["psql", *args, "-d", "postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not found:
        subprocess.run(["createdb", *args, name], check=True)


def seed(today: date):
    """The reader and the client (created once; the bookings are re-laid from ``today`` on every run)."""
    from django.db import transaction

    from apps.accounts.models import User
    from apps.accounts.tests.factories import ReaderFactory, UserFactory
    from apps.readers.tests.factories import ReaderProfileFactory
    from apps.scheduling.enums import ExceptionKind
    from apps.scheduling.models import Booking, DateException, ReaderSchedule, WeeklyWindow

    reader = User.objects.filter(email=READER_EMAIL).first()
    if reader is None:
        reader = ReaderProfileFactory(
            user=ReaderFactory(email=READER_EMAIL, timezone="Europe/London"), scheduled_rate_amount=Decimal("2.00")
        ).user
        ReaderSchedule.objects.create(
            reader=reader,
            timezone="Europe/London",
            is_accepting=True,
            durations=[15, 30, 45, 60],
            buffer_before_minutes=10,
            buffer_after_minutes=10,
            min_notice_minutes=12 * 60,
            horizon_days=180,
        )
        windows = [(day, clock(9), clock(12)) for day in range(5)] + [(day, clock(13), clock(18)) for day in range(5)]
        windows.append((5, clock(10), clock(14)))
        WeeklyWindow.objects.bulk_create(
            WeeklyWindow(reader=reader, weekday=day, start_time=start, end_time=end) for day, start, end in windows
        )
    client = User.objects.filter(email=CLIENT_EMAIL).first() or UserFactory(
        email=CLIENT_EMAIL, timezone="America/New_York"
    )
    with transaction.atomic():
        Booking.objects.filter(reader=reader).delete()
        DateException.objects.filter(reader=reader).delete()
        DateException.objects.bulk_create(
            DateException(reader=reader, date=today + timedelta(days=12 * index + 5), kind=ExceptionKind.DAY_OFF)
            for index in range(30)
        )
        # 500 bookings of 30 minutes through the coming year, on weekdays at 09:00 or 14:00 London time.
        from zoneinfo import ZoneInfo

        london = ZoneInfo("Europe/London")
        bookings, day = [], today + timedelta(days=1)
        while len(bookings) < BOOKINGS:
            if day.weekday() < 5:
                for hour in (9, 14):
                    start = datetime.combine(day, clock(hour), tzinfo=london).astimezone(UTC)
                    bookings.append(
                        Booking(
                            client=client,
                            reader=reader,
                            modality="text",
                            duration_minutes=30,
                            starts_at=start,
                            ends_at=start + timedelta(minutes=30),
                            rate_amount=Decimal("2.00"),
                            price_amount=Decimal("60.00"),
                            idempotency_key=f"bench:{start:%Y%m%d%H%M}",
                        )
                    )
            day += timedelta(days=1)
        Booking.objects.bulk_create(bookings[:BOOKINGS])
    return reader, client


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    options = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from apps.scheduling.models import Booking, ReaderSchedule

    call_command("migrate", verbosity=0, interactive=False)
    print(f"machine: {platform.node()} nproc={os.cpu_count()} load={os.getloadavg()}")
    now = timezone.now()
    reader, client_user = seed(now.date())
    schedule = ReaderSchedule.objects.get(reader=reader)
    print(f"reader {reader.pk}: {Booking.objects.filter(reader=reader).count()} bookings, rounds={options.rounds}")

    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    first_day = now.astimezone(new_york).date()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host name
    web = Client()
    web.force_login(client_user)
    url = reverse("scheduling:book_slots", args=[reader.pk])
    query = {"duration": 30, "days": 60, "day": first_day.isoformat()}

    t0 = datetime.combine(first_day, clock(0), tzinfo=new_york).astimezone(UTC)
    params = {
        "t0": t0,
        "t1": datetime.combine(first_day + timedelta(days=60), clock(0), tzinfo=new_york).astimezone(UTC),
        "earliest": now + timedelta(minutes=schedule.min_notice_minutes),
        "horizon": now + timedelta(days=schedule.horizon_days),
        "tz": schedule.timezone,
        "duration": 30,
        "pad": schedule.buffer_before_minutes + schedule.buffer_after_minutes,
        "reader": reader.pk,
    }

    partial_ms: list[float] = []
    partial_cpu_ms: list[float] = []  # this process's CPU only: what the machine's load does not inflate as much
    sql_ms: list[float] = []
    html = ""
    rows: list = []
    for _ in range(options.rounds):
        started, cpu = time.perf_counter(), time.thread_time()
        response = web.get(url, query, HTTP_HX_REQUEST="true")
        partial_ms.append((time.perf_counter() - started) * 1000)
        partial_cpu_ms.append((time.thread_time() - cpu) * 1000)
        assert response.status_code == 200
        html = response.content.decode()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, params)
            rows = cursor.fetchall()
        sql_ms.append((time.perf_counter() - started) * 1000)

    partial_slots = html.count("data-slot=")
    print(f"slots in 60 days: partial {partial_slots}, plain SQL {len(rows)}")
    for name, values in (
        ("slots partial (60 days)", partial_ms),
        ("  of which Python CPU", partial_cpu_ms),
        ("plain SQL generate_series", sql_ms),
    ):
        print(
            f"{name:28} p50 {statistics.median(values):7.2f} ms   p95 {percentile(values, 0.95):7.2f} ms"
            f"   max {max(values):7.2f} ms"
        )
    print(f"load after: {os.getloadavg()}")
    if partial_slots != len(rows):
        sys.exit("the partial and the plain SQL disagree on the open slots")
    if percentile(partial_ms, 0.95) >= 50:
        sys.exit("p95 of the slots partial is not under 50 ms")


if __name__ == "__main__":
    main()
