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
from apps.wallet.services.ledger import (
    accounts_get,
    default_reader_rate,
    earnings_spec,
    house_spec,
    split_reader_share,
    wallet_spec,
)

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
    *,
    amount: Decimal,
    reader: Any,
    source_account: Account | None = None,
    payer: Any = None,
    rate: Decimal | None = None,
) -> ReaderSharePostings:
    """The postings that pay ``amount`` out of ``source_account`` (or ``payer``'s wallet) to ``reader`` and the
    platform.

    ``earnings:<reader>`` gets floor(amount × rate) to the cent and ``platform:revenue`` the rest, so the
    legs sum to zero exactly; a zero leg is left out. ``rate`` defaults to ``reader_rate(reader)``; a use case
    that fixed the rate earlier (a reading fixes it when requested) passes it. With ``payer``, the payer's wallet
    is read in the same query as the reader's and the platform's accounts.
    """
    if (source_account is None) == (payer is None):
        raise ValueError("Pay from either a source_account or a payer's wallet.")
    rate = reader_rate(reader) if rate is None else rate
    reader_amount, platform_amount = split_reader_share(amount, rate)
    specs = [] if payer is None else [wallet_spec(payer)]
    if reader_amount:
        specs.append(earnings_spec(reader))
    if platform_amount:
        specs.append(house_spec("platform:revenue"))
    accounts = accounts_get(*specs) if specs else []
    source = source_account if source_account is not None else accounts.pop(0)
    postings: list[tuple[Account, Decimal]] = [(source, -(reader_amount + platform_amount))]
    postings.extend(zip(accounts, [amount for amount in (reader_amount, platform_amount) if amount], strict=True))
    return ReaderSharePostings(postings, reader_amount, platform_amount)
