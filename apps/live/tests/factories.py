"""Helpers of the livestream tests: real readers and followers, streams made through the services, real money."""

import itertools
from decimal import Decimal
from typing import Any

from apps.accounts.tests.factories import UserFactory
from apps.live.enums import Animation, Visibility
from apps.live.models import GiftKind, Stream
from apps.live.services.streams import stream_create, stream_go_live
from apps.readers.models import Favorite
from apps.readers.tests.factories import ReaderProfileFactory
from apps.wallet.models import Account
from tests.support.money import top_up

_names = itertools.count(1)


def make_host() -> Any:
    """A listed reader (their User), who can host streams."""
    return ReaderProfileFactory().user


def follower_of(host: Any, **user: Any) -> Any:
    """A client who keeps ``host`` among their favorite readers."""
    follower = UserFactory(**user)
    Favorite.objects.create(user=follower, reader=host.reader_profile)
    return follower


def live_stream(host: Any = None, *, visibility: str = Visibility.PUBLIC, price: str | None = None) -> Stream:
    host = host or make_host()
    return stream_go_live(
        actor=host, title=f"Evening tarot {next(_names)}", visibility=visibility, ticket_price_amount=price
    )


def scheduled_stream(host: Any = None, **values: Any) -> Stream:
    host = host or make_host()
    values.setdefault("title", f"Moon reading {next(_names)}")
    return stream_create(actor=host, **values)


def gift_kind(price: str = "1.00", **values: Any) -> GiftKind:
    values.setdefault("name", f"Star {next(_names)}")
    values.setdefault("animation", Animation.STAR)
    return GiftKind.objects.create(price_amount=Decimal(price), **values)


def funded(user: Any = None, amount: str = "20.00") -> Any:
    user = user or UserFactory()
    top_up(user, Decimal(amount))
    return user


def balance(code: str) -> Decimal:
    account = Account.objects.filter(code=code).first()
    return account.balance if account is not None else Decimal("0.00")
