"""What a reader earns of what a client pays (SPEC §3): one rate, one split, one set of postings.

``reader_rate`` is the only place that reads a reader's revenue share; ``reader_share_postings`` is the only
place that builds the postings paying it. Readings (settlement), paid replies and every later domain that
pays a reader (bookings, gifts, the shop) use both.
"""

from decimal import Decimal
from typing import Any, NamedTuple

from apps.wallet.models import Account
from apps.wallet.services.ledger import default_reader_rate, earnings_account, house_account, split_reader_share


def reader_rate(reader: Any) -> Decimal:
    """The share of what clients pay that ``reader`` earns: the platform's rate (``READER_DEFAULT_RATE``, 0.70).

    A per-reader rate, when the product gets one, is read here and nowhere else.
    """
    return default_reader_rate()


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
