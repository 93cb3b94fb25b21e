"""Reads shared within one page render: a selector that several parts of one page call with the same arguments
(the reader dashboard's panels each ask for the reader's profile, the live reading, the earnings balance) reads
the database once.

Only inside ``reads_shared()``, a block that changes none of the rows it reads: the dashboards wrap the rendering
of their sections in it. Everywhere else a ``shared_read`` selector reads the database on every call, as before,
so a service that writes and then reads again always sees its own write. An exception (``DoesNotExist``) is not
kept: the next call reads again. Callers must treat what a shared read returns as read-only, since the next caller
gets the same object.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.db.models import Model

P = ParamSpec("P")
R = TypeVar("R")

_shared: ContextVar[dict[tuple, Any] | None] = ContextVar("soulseer_shared_reads", default=None)


@contextmanager
def reads_shared() -> Iterator[None]:
    """Within this block, each ``shared_read`` selector answers the same arguments from one read."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _argument_key(value: Any) -> Any:
    # A model instance stands for its row (the request's user and a user loaded again are the same reader).
    if isinstance(value, Model):
        return (value._meta.label, value.pk)
    return value


def shared_read(selector: Callable[P, R]) -> Callable[P, R]:
    """Mark a keyword-only selector as shareable within ``reads_shared()``; outside it, nothing changes."""

    @functools.wraps(selector)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _shared.get()
        if memo is None or args:
            return selector(*args, **kwargs)
        key = (selector.__module__, selector.__qualname__, *sorted((k, _argument_key(v)) for k, v in kwargs.items()))
        try:
            hash(key)
        except TypeError:  # an argument that cannot be a key (a list): read as usual
            return selector(*args, **kwargs)
        if key not in memo:
            memo[key] = selector(*args, **kwargs)
        return memo[key]

    return wrapper
