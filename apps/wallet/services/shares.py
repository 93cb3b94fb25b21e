"""What a reader earns of what a client pays (SPEC §3): one rate, one split, one set of postings.

``reader_rate`` is the only place that reads a reader's revenue share; ``reader_share_postings`` is the only
place that builds the postings paying it. Readings (settlement), paid replies and every later domain that
pays a reader (bookings, gifts, the shop) use both.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured

from apps.wallet.models import Account
from apps.wallet.services.ledger import default_reader_rate, earnings_account, house_account, split_reader_share

# Where a per-reader rate comes from: one function ``(reader) -> Decimal | None`` registered by the app that owns
# the rate (payouts, from its ``AppConfig.ready()``), so the wallet never imports a feature app.
_RATE_SOURCE: list[Callable[[Any], Decimal | None]] = []


def reader_rate_source_register(source: Callable[[Any], Decimal | None]) -> None:
    """Make ``source`` the one place per-reader rates are read from (None: the platform's rate)."""
    if _RATE_SOURCE and getattr(_RATE_SOURCE[0], "__qualname__", None) != getattr(source, "__qualname__", None):
        raise ImproperlyConfigured("A reader rate source is registered twice.")
    _RATE_SOURCE[:] = [source]


def reader_rate(reader: Any) -> Decimal:
    """The share of what clients pay that ``reader`` earns: the rate an admin set for them, else the platform's
    rate (``READER_DEFAULT_RATE``, 0.70). Read at charge time; a use case that charges later snapshots it."""
    rate = _RATE_SOURCE[0](reader) if _RATE_SOURCE else None
    return default_reader_rate() if rate is None else Decimal(rate)


class ReaderSharePostings(NamedTuple):
    postings: list[tuple[Account, Decimal]]
    reader_amount: Decimal
    platform_amount: Decimal


def reader_share_postings(
    *, amount: Decimal, reader: Any, source_account: Account, rate: Decimal | None = None
) -> ReaderSharePostings:
    """The postings that pay ``amount`` out of ``source_account`` to ``reader`` and the platform.

    ``earnings:<reader>`` gets floor(amount × rate) to the cent and ``platform:revenue`` the rest, so the
    legs sum to zero exactly; a zero leg is left out. ``rate`` defaults to ``reader_rate(reader)``; a use case
    that fixed the rate earlier (a reading fixes it when requested) passes it.
    """
    rate = reader_rate(reader) if rate is None else rate
    reader_amount, platform_amount = split_reader_share(amount, rate)
    postings: list[tuple[Account, Decimal]] = [(source_account, -(reader_amount + platform_amount))]
    if reader_amount:
        postings.append((earnings_account(reader), reader_amount))
    if platform_amount:
        postings.append((house_account("platform:revenue"), platform_amount))
    return ReaderSharePostings(postings, reader_amount, platform_amount)
