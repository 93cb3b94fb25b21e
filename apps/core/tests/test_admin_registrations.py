"""Our apps' rows in the Django admin: admins find and read every row, nobody edits them there.

Each of these rows changes only through its service (ledger postings, Stripe, stock, notifications, audit), so
their admin pages are read-only: no add page, no change, no delete. Their list pages cost the same number of
queries whatever the number of rows. Every model of our apps is registered, or named in ``NOT_REGISTERED`` with
the reason it is not.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.core.admin import ReadOnlyAdmin
from apps.core.files import file_link_issue
from apps.core.models import FileDownload, FileDownloadOutcome, FileLink
from apps.moderation import services as moderation
from apps.moderation.enums import ReportReason
from apps.moderation.models import AutoHide, ModeratorGrant, Report, Suspension, TrustOverride
from apps.readings.models import Review
from apps.shop.enums import OrderStatus, PaymentMethod, ProductKind, RefundStatus
from apps.shop.models import CartItem, CatalogSync, Order, OrderItem, OrderRefund, Price, Product, Reservation
from tests.support.money import top_up

from .admin_rows import MORE_MODELS, SHARED_BASE_MODELS

MORE = dict(MORE_MODELS)

pytestmark = pytest.mark.django_db

_numbers = count(1)


def _file_link(admin: Any) -> FileLink:
    link, _url = file_link_issue(
        user=UserFactory(),
        storage_key=f"shop/moon-journal-{next(_numbers)}.pdf",
        filename="moon-journal.pdf",
        purpose="shop.download",
    )
    return link


def _file_download(admin: Any) -> FileDownload:
    link = _file_link(admin)
    return FileDownload.objects.create(
        link=link, user=link.user, ip_address="203.0.113.7", outcome=FileDownloadOutcome.SERVED
    )


def _product(admin: Any) -> Product:
    n = next(_numbers)
    return Product.objects.create(
        stripe_product_id=f"prod_admin{n}",
        name=f"Moon journal {n}",
        kind=ProductKind.DIGITAL,
        creator=ReaderFactory(),
        file_key=f"shop/moon-journal-{n}.pdf",
        default_price_id=f"price_admin{n}",
        is_active=True,
        stripe_version=1,
        synced_at=timezone.now(),
    )


def _price(admin: Any) -> Price:
    product = _product(admin)
    return Price.objects.create(
        stripe_price_id=product.default_price_id,
        product=product,
        unit_amount=Decimal("10.00"),
        is_active=True,
        stripe_version=1,
        synced_at=timezone.now(),
    )


def _catalog_sync(admin: Any) -> CatalogSync:
    return CatalogSync.objects.create(finished_at=timezone.now(), products=3, prices=4)


def _cart_item(admin: Any) -> CartItem:
    return CartItem.objects.create(user=UserFactory(), product=_product(admin), quantity=2)


def _order(admin: Any) -> Order:
    return Order.objects.create(
        user=UserFactory(),
        status=OrderStatus.PAID,
        payment_method=PaymentMethod.WALLET,
        client_key=f"admin-key-{next(_numbers)}",
        subtotal_amount=Decimal("20.00"),
        total_amount=Decimal("20.00"),
        paid_at=timezone.now(),
    )


def _order_item(admin: Any) -> OrderItem:
    product = _product(admin)
    return OrderItem.objects.create(
        order=_order(admin),
        product=product,
        stripe_price_id=product.default_price_id,
        name=product.name,
        kind=product.kind,
        creator=product.creator,
        unit_amount=Decimal("10.00"),
        quantity=2,
        total_amount=Decimal("20.00"),
    )


def _reservation(admin: Any) -> Reservation:
    item = _order_item(admin)
    return Reservation.objects.create(
        order=item.order, product=item.product, quantity=2, expires_at=timezone.now() + timedelta(minutes=30)
    )


def _order_refund(admin: Any) -> OrderRefund:
    return OrderRefund.objects.create(
        order=_order(admin),
        amount=Decimal("5.00"),
        reason="Damaged in the post",
        status=RefundStatus.REQUESTED,
        requested_by=admin,
    )


def _report(admin: Any) -> Report:
    return Report.objects.create(
        content_type=ContentType.objects.get_for_model(Review),
        object_id=next(_numbers),
        reporter=UserFactory(),
        author=UserFactory(),
        reason=ReportReason.HARASSMENT,
        details="Insults in the review.",
    )


def _auto_hide(admin: Any) -> AutoHide:
    return AutoHide.objects.create(
        content_type=ContentType.objects.get_for_model(Review),
        object_id=next(_numbers),
        flag_count=3,
        hidden_at=timezone.now(),
    )


def _suspension(admin: Any) -> Suspension:
    return moderation.user_suspend(moderator=admin, user=UserFactory(), reason="Spam in the chat.", until=None)


def _moderator_grant(admin: Any) -> ModeratorGrant:
    return moderation.moderator_grant(actor=admin, user=UserFactory())


def _trust_override(admin: Any) -> TrustOverride:
    override = moderation.trust_override_set(actor=admin, user=UserFactory(), level=2)
    assert override is not None
    return override


MODELS: list[tuple[type[models.Model], Callable[[Any], models.Model]]] = [
    (FileLink, _file_link),
    (FileDownload, _file_download),
    (Product, _product),
    (Price, _price),
    (CatalogSync, _catalog_sync),
    (CartItem, _cart_item),
    (Order, _order),
    (OrderItem, _order_item),
    (Reservation, _reservation),
    (OrderRefund, _order_refund),
    (Report, _report),
    (AutoHide, _auto_hide),
    (Suspension, _suspension),
    (ModeratorGrant, _moderator_grant),
    (TrustOverride, _trust_override),
    *MORE_MODELS,
    *SHARED_BASE_MODELS,
]
IDS = [model._meta.label for model, _ in MODELS]


def _url(model: type[models.Model], page: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def _row(obj: models.Model) -> dict[str, Any]:
    return type(obj)._default_manager.filter(pk=obj.pk).values().get()


def _edited_form(obj: models.Model) -> dict[str, Any]:
    """What an edit of every text field of ``obj`` would post."""
    data: dict[str, Any] = {"_save": "Save"}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        if isinstance(field, (models.CharField, models.TextField)) and not field.choices:
            value = "edited in the admin"
        data[field.attname if field.is_relation else field.name] = "" if value is None else str(value)
    return data


@pytest.mark.parametrize(("model", "make"), MODELS, ids=IDS)
def test_admin_registration_lists_every_row_and_shows_one_read_only(admin_client, admin_user, model, make):
    # given
    rows = [make(admin_user) for _ in range(3)]
    # when
    listed = admin_client.get(_url(model, "changelist"))
    shown = admin_client.get(_url(model, "change", rows[0].pk))
    # then: every row is listed, and the row's page shows it without a form to save
    assert listed.status_code == 200
    page = listed.content.decode()
    assert all(_url(model, "change", row.pk) in page for row in rows)
    assert shown.status_code == 200
    assert shown.context["original"] == rows[0]
    assert 'name="_save"' not in shown.content.decode()


@pytest.mark.parametrize(("model", "make"), MODELS, ids=IDS)
def test_admin_registration_add_change_and_delete_refused_and_nothing_changes(admin_client, admin_user, model, make):
    # given
    obj = make(admin_user)
    before = _row(obj)
    total = model._default_manager.count()
    # when
    added = admin_client.post(_url(model, "add"), _edited_form(obj))
    changed = admin_client.post(_url(model, "change", obj.pk), _edited_form(obj))
    deleted = admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"})
    bulk_deleted = admin_client.post(
        _url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    # then
    assert admin_client.get(_url(model, "add")).status_code == 403
    assert added.status_code == changed.status_code == deleted.status_code == 403
    assert bulk_deleted.status_code in (200, 302)
    assert model._default_manager.count() == total
    assert _row(obj) == before


@pytest.mark.parametrize(("model", "make"), MODELS, ids=IDS)
def test_admin_registration_non_admin_is_sent_to_the_admin_login(client, client_user, admin_user, model, make):
    # given
    obj = make(admin_user)
    before = _row(obj)
    client.force_login(client_user)
    login = reverse("admin:login")
    # when
    responses = [
        client.get(_url(model, "changelist")),
        client.get(_url(model, "change", obj.pk)),
        client.post(_url(model, "change", obj.pk), _edited_form(obj)),
        client.get(_url(model, "add")),
    ]
    # then
    assert [response.status_code for response in responses] == [302] * 4
    assert all(response["Location"].startswith(login + "?next=") for response in responses)
    assert _row(obj) == before


@pytest.mark.parametrize(("model", "make"), MODELS, ids=IDS)
def test_admin_registration_search_by_email_word_or_number_answers(admin_client, admin_user, model, make):
    # given
    obj = make(admin_user)
    # when / then: every search field takes any term (numbers compared as text, no error)
    for term in ("example.com", "moon", str(obj.pk), "203.0.113"):
        assert admin_client.get(_url(model, "changelist"), {"q": term}).status_code == 200


def _changelist_queries(client: Any, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.context["cl"].result_count


@pytest.mark.parametrize(("model", "make"), MODELS, ids=IDS)
def test_admin_registration_changelist_one_row_and_five_rows_run_the_same_number_of_queries(
    admin_client, admin_user, model, make
):
    # given: a first visit fills the per-process caches (content types, the session)
    url = _url(model, "changelist")
    make(admin_user)
    admin_client.get(url)
    one_queries, one_row = _changelist_queries(admin_client, url)
    # when
    for _ in range(4):
        make(admin_user)
    five_queries, five_rows = _changelist_queries(admin_client, url)
    # then: four more rows are listed (or more: a ledger transaction posts two legs)
    assert one_row >= 1 and five_rows >= one_row + 4
    assert five_queries == one_queries, f"{url}: {one_queries} queries for 1 row, {five_queries} for 5"


def test_admin_order_lists_buyer_email_and_its_page_links_to_the_staff_order_page(admin_client, admin_user):
    # given
    order = _order(admin_user)
    item = _order_item(admin_user)
    # when
    listed = admin_client.get(_url(Order, "changelist")).content.decode()
    shown = admin_client.get(_url(Order, "change", item.order.pk)).content.decode()
    # then: people are found by email, and the order's lines are on its page with the way to ship or refund it
    assert order.user.email in listed and item.order.user.email in listed
    assert reverse("staff_shop:order", args=[item.order.pk]) in shown
    assert item.name in shown


def test_admin_suspension_in_force_filter_separates_lifted_suspensions(admin_client, admin_user):
    # given: one suspension in force, one lifted
    in_force = _suspension(admin_user)
    lifted = _suspension(admin_user)
    moderation.user_suspension_lift(moderator=admin_user, user=lifted.user)
    # when
    shown = admin_client.get(_url(Suspension, "changelist"), {"in_force": "yes"}).context["cl"].result_list
    over = admin_client.get(_url(Suspension, "changelist"), {"in_force": "no"}).context["cl"].result_list
    # then
    assert list(shown) == [in_force]
    assert list(over) == [lifted]


def test_admin_file_link_page_does_not_show_the_token_hash(admin_client, admin_user):
    # given
    link = _file_link(admin_user)
    # when
    page = admin_client.get(_url(FileLink, "change", link.pk)).content.decode()
    # then
    assert link.storage_key in page
    assert link.token_hash not in page


def test_admin_order_page_one_line_and_three_lines_run_the_same_number_of_queries(admin_client, admin_user):
    # given: an order with one line, a reservation and a refund
    reservation = _reservation(admin_user)
    order = reservation.order
    OrderRefund.objects.create(order=order, amount=Decimal("1.00"), reason="Late", requested_by=admin_user)
    url = _url(Order, "change", order.pk)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as one_line:
        assert admin_client.get(url).status_code == 200
    # when: two more lines, reservations and refunds, each of another product and creator
    for _ in range(2):
        product = _product(admin_user)
        OrderItem.objects.create(
            order=order,
            product=product,
            stripe_price_id=product.default_price_id,
            name=product.name,
            kind=product.kind,
            creator=product.creator,
            unit_amount=Decimal("10.00"),
            quantity=1,
            total_amount=Decimal("10.00"),
        )
        Reservation.objects.create(order=order, product=product, quantity=1, expires_at=reservation.expires_at)
        OrderRefund.objects.create(order=order, amount=Decimal("1.00"), reason="Late", requested_by=UserFactory())
    with CaptureQueriesContext(connection) as three_lines:
        response = admin_client.get(url)
    # then
    assert response.status_code == 200
    assert response.content.decode().count("Moon journal") >= 3
    assert len(three_lines) == len(one_line)


# Models of our apps deliberately left out of the Django admin, each with its reason. A new model must be registered
# (read-only unless the admin is where it is edited) or added here.
NOT_REGISTERED: dict[str, str] = {
    # Shown as an inline on its support ticket's page.
    "pages.SupportReply": "inline of SupportTicket",
    # Pure join tables: who keeps which reader among their favorites, who asked to be told when a reader comes
    # online, who follows which forum thread. They say nothing the user's and reader's pages do not.
    "readers.Favorite": "join table",
    "readers.OnlineAlert": "join table",
    "community.Subscription": "join table",
    # Bookkeeping that keeps an alert or email from going out twice, or an RTC notice from being applied twice.
    "readers.OnlineAlertDelivery": "once-a-day delivery marker",
    "live.StreamFollowerAlert": "once-per-stream delivery marker",
    "messaging.EmailBatch": "email throttle marker",
    "rtc.NcsSequence": "RTC notice sequence counter",
    # The parties' own words in a reading (its chat, the reader's private notes), like message text: read through
    # the moderation queue when reported, never browsed.
    "livesessions.SessionMessage": "private chat of a reading",
    "livesessions.SessionNote": "reader's private notes",
}


def _our_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if model.__module__.startswith("apps.")]


def test_admin_every_model_of_our_apps_is_registered_or_listed_as_not_registered():
    # given
    registered = {model._meta.label for model in _our_models() if django_admin.site.is_registered(model)}
    ours = {model._meta.label for model in _our_models()}
    # when
    forgotten = ours - registered - set(NOT_REGISTERED)
    listed_but_registered = registered & set(NOT_REGISTERED)
    stale = set(NOT_REGISTERED) - ours
    # then
    assert forgotten == set(), f"register these in their app's admin.py or add them to NOT_REGISTERED: {forgotten}"
    assert listed_but_registered == set()
    assert stale == set()


def test_admin_every_model_made_here_is_registered_read_only():
    # given / when
    admins = {model: django_admin.site._registry[model] for model, _ in MODELS}
    # then
    assert all(isinstance(model_admin, ReadOnlyAdmin) for model_admin in admins.values())


def test_admin_payout_control_shows_the_switch_and_refuses_every_change(admin_client, admin_user):
    # given: the one row, paused with a reason through the staff service
    from apps.payouts.models import PayoutControl
    from apps.payouts.services import payouts_pause

    payouts_pause(actor=admin_user, reason="Bank holiday checks")
    control = PayoutControl.objects.get()
    before = _row(control)
    # when
    listed = admin_client.get(_url(PayoutControl, "changelist"))
    shown = admin_client.get(_url(PayoutControl, "change", control.pk))
    changed = admin_client.post(_url(PayoutControl, "change", control.pk), {"is_paused": "", "reason": ""})
    deleted = admin_client.post(_url(PayoutControl, "delete", control.pk), {"post": "yes"})
    # then
    assert listed.status_code == shown.status_code == 200
    assert "Bank holiday checks" in shown.content.decode()
    assert 'name="_save"' not in shown.content.decode()
    assert admin_client.get(_url(PayoutControl, "add")).status_code == 403
    assert changed.status_code == deleted.status_code == 403
    assert _row(control) == before


def _page(client: Any, obj: models.Model) -> str:
    response = client.get(_url(type(obj), "change", obj.pk))
    assert response.status_code == 200
    return response.content.decode()


def test_admin_user_page_shows_email_but_never_the_password_hash(admin_client, admin_user):
    # given
    user = UserFactory()
    # when
    page = _page(admin_client, user)
    # then
    assert user.email in page
    assert user.password not in page
    assert reverse("staff_accounts:user_detail", args=[user.pk]) in page


def test_admin_ledger_transaction_page_shows_its_postings_but_not_its_parameters_hash(admin_client, admin_user):
    # given
    from apps.wallet.models import Transaction

    transaction = Transaction.objects.get(pk=MORE[Transaction](admin_user).pk)
    # when
    page = _page(admin_client, transaction)
    # then: both legs, by account code
    assert transaction.params_hash not in page
    assert all(posting.account.code in page for posting in transaction.postings.select_related("account"))


def test_admin_private_words_stay_out_of_the_admin(admin_client, admin_user):
    # given: a message, a reading's intake note and a booking's intake note
    from apps.messaging.models import Message
    from apps.readings.models import ReadingSession
    from apps.scheduling.models import Booking

    message = MORE[Message](admin_user)
    reading = MORE[ReadingSession](admin_user)
    booking = MORE[Booking](admin_user)
    # when
    pages = [_page(admin_client, obj) for obj in (message, reading, booking)]
    # then
    assert message.body not in pages[0]  # type: ignore[attr-defined]
    assert reading.intake_note not in pages[1]  # type: ignore[attr-defined]
    assert booking.intake_note not in pages[2]  # type: ignore[attr-defined]


def test_admin_people_are_shown_by_email_in_the_money_lists(admin_client, admin_user):
    # given
    from apps.payouts.models import Payout
    from apps.wallet.models import Refund

    refund = MORE[Refund](admin_user)
    payout = MORE[Payout](admin_user)
    # when
    refunds = admin_client.get(_url(Refund, "changelist")).content.decode()
    payouts = admin_client.get(_url(Payout, "changelist")).content.decode()
    # then
    assert refund.user.email in refunds and admin_user.email in refunds  # type: ignore[attr-defined]
    assert payout.reader.email in payouts  # type: ignore[attr-defined]


def test_admin_ledger_accounts_show_a_balance_only_where_one_is_kept(admin_client, admin_user):
    # given: a top-up credits a wallet (balance kept on the row) from stripe:cash (a house account, whose balance
    # is the sum of its postings, never kept on its row)
    from apps.wallet.models import Account

    MORE[Account](admin_user)
    top_up(UserFactory(), Decimal("25.00"))
    # when
    page = admin_client.get(_url(Account, "changelist"), {"q": "wallet:"}).content.decode()
    house = admin_client.get(_url(Account, "changelist"), {"q": "stripe:cash"}).content.decode()
    # then
    assert '<td class="field-cached_balance">25.00</td>' in page
    assert '<td class="field-cached_balance">-</td>' in house
