"""Analytics in a real browser: a reader with earnings, readings and a review opens their analytics from the
dashboard; an admin opens the platform's. Chart.js draws every chart, each with its table of the same numbers;
a phone-sized screen scrolls no page sideways; axe-core finds nothing serious on either page.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory, give_totp
from apps.analytics.tests.helpers import earn_at, reading_settled, review_at
from apps.wallet.enums import TransactionKind
from apps.wallet.services.ledger_check import ledger_check_run
from tests.e2e.conftest import assert_axe_clean, goto_settled, sign_in_with_session

PHONE = {"width": 390, "height": 844}


def _history(reader) -> None:
    """Over the last three weeks, two clients: each a 20-minute reading at $2.00 a minute with its review, a
    paid reply, and one of them a gift."""
    now = timezone.now()
    for days, gift in ((20, None), (9, Decimal("10.00"))):
        fan, when = UserFactory(), now - timedelta(days=days)
        with transaction.atomic():
            session = reading_settled(client=fan, reader=reader, ended_at=when, minutes=20)
            earn_at(kind=TransactionKind.PAID_REPLY, client=fan, reader=reader, amount=Decimal("1.00"), when=when)
            if gift:
                earn_at(kind=TransactionKind.GIFT, client=fan, reader=reader, amount=gift, when=when)
        review_at(session=session, rating=5, when=when)


def _chart_drawn(page, key: str) -> bool:
    return page.evaluate(
        "(id) => { const chart = window.Chart && window.Chart.getChart(document.getElementById(id));"
        " return !!chart && chart.data.datasets.length > 0 && chart.width > 0; }",
        f"chart-{key}",
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reader_and_admin_open_their_analytics_with_charts_tables_and_no_axe_violations(live_server, new_page):
    # given: a reader with a history, and an admin after a nightly ledger check
    reader = ReaderFactory(email="stella@example.com", display_name="Stella")
    give_totp(reader)
    _history(reader)
    admin = AdminFactory(email="keeper@example.com")
    give_totp(admin)
    ledger_check_run(trigger="nightly")
    base = live_server.url

    # when: the reader follows the dashboard's link to their analytics
    page = new_page()
    sign_in_with_session(page, base, reader)
    goto_settled(page, base + reverse("dashboards:reader"))
    page.get_by_role("link", name="Open your analytics").click()
    page.wait_for_url(f"**{reverse('analytics:reader')}")

    # then: 70% of $92.00 (two readings of $40.00, two replies and a gift) earned, every chart drawn, and the
    # earnings table lists the same sources
    expect(page.get_by_test_id("summary-earnings")).to_have_text("$64.40")
    for key in ("earnings", "readings", "clients", "rating"):
        expect(page.locator(f"#chart-{key}")).to_be_visible()
        page.wait_for_function(
            "(id) => window.Chart && window.Chart.getChart(document.getElementById(id))", arg=f"chart-{key}"
        )
        assert _chart_drawn(page, key)
    earnings_table = page.get_by_test_id("table-earnings")
    expect(earnings_table.get_by_role("columnheader", name="Livestream gifts")).to_be_visible()
    expect(earnings_table.locator("tfoot")).to_contain_text("$64.40")
    expect(page.get_by_test_id("earnings-by-source")).to_contain_text("Scheduled readings")
    assert_axe_clean(page)

    # and the last 30 days by month redraw with one bar per month, and the CSV link carries that range
    today = timezone.now().date()
    first = today - timedelta(days=29)
    page.locator("#id_first_day").fill(first.isoformat())
    page.get_by_label("Group by").select_option("month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**grain=month**")
    assert _chart_drawn(page, "earnings")
    months = 1 + (today.year - first.year) * 12 + today.month - first.month
    labels = page.evaluate("() => window.Chart.getChart(document.getElementById('chart-earnings')).data.labels.length")
    assert labels == months
    export = reverse("analytics:reader_export")
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", f"{export}?first_day={first.isoformat()}&last_day={today.isoformat()}&grain=month"
    )

    # and a bad range says what is wrong
    page.locator("#id_first_day").fill(today.isoformat())
    page.locator("#id_last_day").fill((today - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The start date must be on or before the end date.")).to_be_visible()
    assert_axe_clean(page)

    # and on a phone the page does not scroll sideways (wide tables scroll inside their own box)
    page.set_viewport_size(PHONE)
    page.goto(base + reverse("analytics:reader"))
    page.wait_for_function("() => window.Chart && window.Chart.getChart(document.getElementById('chart-earnings'))")
    assert _chart_drawn(page, "earnings")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_axe_clean(page)

    # when: the admin opens the platform's analytics on a phone
    admin_page = new_page(viewport=PHONE)
    sign_in_with_session(admin_page, base, admin)
    goto_settled(admin_page, base + reverse("dashboards:admin"))
    admin_page.get_by_role("link", name="Open platform analytics").click()
    admin_page.wait_for_url(f"**{reverse('staff_analytics:index')}")

    # then: gross volume and revenue from the ledger, the ledger check status, the top reader, every chart
    expect(admin_page.get_by_test_id("summary-gross")).to_have_text("$92.00")
    expect(admin_page.get_by_test_id("summary-revenue")).to_have_text("$27.60")
    expect(admin_page.get_by_text("Clean").first).to_be_visible()
    expect(admin_page.get_by_test_id("top-readers")).to_contain_text("Stella")
    for key in ("signups", "readings", "revenue", "money-back"):
        admin_page.wait_for_function(
            "(id) => window.Chart && window.Chart.getChart(document.getElementById(id))", arg=f"chart-{key}"
        )
        assert _chart_drawn(admin_page, key)
    expect(admin_page.get_by_test_id("table-revenue").locator("tfoot")).to_contain_text("$92.00")
    assert admin_page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_axe_clean(admin_page)
