"""Admin list pages cost the same number of queries whatever the number of rows (no query per row)."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import Role
from apps.accounts.tests.factories import UserFactory, reader_application_create
from apps.core.services import audit_log_record
from apps.pages.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db


def _applications(count: int, admin) -> None:
    for _ in range(count):
        reader_application_create(UserFactory())


def _users(count: int, admin) -> None:
    for n in range(count):
        UserFactory(role=Role.READER if n % 2 else Role.CLIENT)


def _audit_rows(count: int, admin) -> None:
    for _ in range(count):
        subject = UserFactory()
        audit_log_record(actor=admin, action="accounts.role_changed", target=subject, details={"to": "reader"})


def _tickets(count: int, admin) -> None:
    for _ in range(count):
        SupportTicketFactory(requester=UserFactory())


LIST_PAGES: list[tuple[str, str, Callable[[int, object], None]]] = [
    ("staff_accounts:application_list", "tarot, mediumship", _applications),
    ("staff_accounts:user_list", "@example.com", _users),
    ("staff_core:audit_log", "accounts.role_changed", _audit_rows),
    ("staff_pages:ticket_list", "A question about my booking", _tickets),
]


def _page_queries(client, url: str, marker: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode().count(marker)


@pytest.mark.parametrize(("url_name", "marker", "make_rows"), LIST_PAGES, ids=[page[0] for page in LIST_PAGES])
def test_admin_list_page_three_rows_and_thirty_rows_run_the_same_number_of_queries(
    admin_client, admin_user, url_name, marker, make_rows
):
    # given
    url = reverse(url_name)
    make_rows(3, admin_user)
    few_queries, few_rows = _page_queries(admin_client, url, marker)
    # when
    make_rows(27, admin_user)
    many_queries, many_rows = _page_queries(admin_client, url, marker)
    # then: the page did show more rows, for the same number of queries
    assert many_rows > few_rows >= 3
    assert many_queries == few_queries, f"{url}: {few_queries} queries for 3 rows, {many_queries} for 30"
