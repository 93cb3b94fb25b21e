"""Run calls at the same instant on separate threads, each with its own database connection.

Concurrency tests use it with ``@pytest.mark.django_db(transaction=True)`` so that each thread's work commits
and the database, not the test, decides who wins.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def race(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Start every call together (a barrier) and return, in the order given, each call's result or the
    exception it raised. Each thread closes its own database connection when done."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # returned to the test, which asserts on it
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes


def race_all_succeed(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """``race`` for calls that must all succeed: raises with every error if any call raised."""
    outcomes = race(*calls, timeout=timeout)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert not errors, errors
    return outcomes
