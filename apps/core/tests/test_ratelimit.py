"""The rate limit is a sliding window: ``limit`` attempts in any ``window_seconds`` span, also across a clock
boundary, exactly ``limit`` when many requests race, and free again once the window has passed."""

import math
import threading
import time

import pytest

from apps.core.exceptions import RateLimitedError
from apps.core.ratelimit import rate_limit_consume


def _consume(subject_id: int, limit: int = 3, window_seconds: int = 2) -> bool:
    try:
        rate_limit_consume(
            scope="test", subject_id=subject_id, limit=limit, window_seconds=window_seconds, message="Slow down."
        )
    except RateLimitedError:
        return False
    return True


@pytest.mark.slow
def test_rate_limit_consume_across_a_clock_boundary_still_refused_until_window_passed():
    # given: the limit used up 0.6 s before a whole WINDOW boundary of the clock (a fixed window would start
    # afresh there). The slots expire in Redis, on Redis' own clock, so this test waits in real time: the
    # shortest window that still leaves a busy machine's slow sleeps room to land inside it.
    window = 2
    now = time.time()
    boundary = math.ceil(now / window) * window
    if boundary - now < 0.6:
        boundary += window
    time.sleep(boundary - 0.6 - now)  # start 0.6 s before the boundary
    start = time.time()
    assert [_consume(1, window_seconds=window) for _ in range(3)] == [True, True, True]
    # when: the clock crosses the boundary
    time.sleep(max(0.0, boundary - time.time()) + 0.05)
    assert time.time() - start < window, "the machine stalled past the whole window; the check below means nothing"
    after_boundary = _consume(1, window_seconds=window)
    # and then the window has passed since the attempts
    time.sleep(max(0.0, start + window + 0.2 - time.time()))
    after_window = _consume(1, window_seconds=window)
    # then
    assert after_boundary is False
    assert after_window is True


def test_rate_limit_consume_racing_requests_accept_exactly_the_limit():
    # given
    barrier = threading.Barrier(20)
    results: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait(timeout=10)
        outcome = _consume(2, limit=10, window_seconds=60)
        with lock:
            results.append(outcome)

    # when
    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then
    assert sorted(results) == [False] * 10 + [True] * 10


@pytest.mark.parametrize("subject", [3, 4])
def test_rate_limit_consume_is_per_subject(subject):
    # given: another subject used up its limit
    assert [_consume(99, limit=2, window_seconds=60) for _ in range(3)] == [True, True, False]
    # when / then
    assert _consume(subject, limit=2, window_seconds=60) is True
