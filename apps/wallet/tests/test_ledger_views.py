"""Wallet pages: the client's own wallet only; admin ledger pages 404 for everyone else."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.models import AuditLog
from apps.wallet.models import LedgerCheckRun, Transaction
from apps.wallet.services.ledger import wallet_account
from apps.wallet.services.ledger_check import ledger_check_run
from tests.support.money import top_up

D = Decimal


@pytest.mark.django_db
def test_wallet_home_anonymous_redirects_to_login(client):
    response = client.get(reverse("wallet:home"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_wallet_home_empty_state(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("wallet:home"))
    assert response.status_code == 200
    assert "No transactions yet" in response.content.decode()
    assert "$0.00" in response.content.decode()


@pytest.mark.django_db
def test_wallet_home_shows_own_balance_and_history_only(client, client_user, other_client_user):
    # given
    top_up(client_user, "12.50", "mine", stripe_payment_intent_id="pi_mine")
    top_up(other_client_user, "77.00", "theirs", stripe_payment_intent_id="pi_theirs")
    client.force_login(client_user)
    # when
    body = client.get(reverse("wallet:home")).content.decode()
    # then
    assert "$12.50" in body and "+$12.50" in body
    assert "pi_mine" in body
    assert "pi_theirs" not in body and "77.00" not in body


@pytest.mark.django_db
def test_wallet_home_paginates_and_filters_by_kind(client, client_user):
    # given
    for n in range(25):
        top_up(client_user, "1.00", f"k{n}")
    client.force_login(client_user)
    # when
    first = client.get(reverse("wallet:home")).content.decode()
    second = client.get(reverse("wallet:home"), {"page": 2}).content.decode()
    filtered = client.get(reverse("wallet:home"), {"kind": "gift"}).content.decode()
    # then
    assert first.count("+$1.00") == 20
    assert second.count("+$1.00") == 5
    assert "No transactions of this type" in filtered


@pytest.mark.django_db
def test_transaction_detail_someone_elses_transaction_404(client, client_user, other_client_user):
    # given
    theirs = top_up(other_client_user, "5.00", "theirs")
    mine = top_up(client_user, "6.00", "mine")
    client.force_login(client_user)
    # when / then
    assert client.get(reverse("wallet:transaction_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("wallet:transaction_detail", args=[mine.pk])).status_code == 200


@pytest.mark.django_db
def test_dashboard_panel_shows_balance_and_last_five(client, client_user):
    # given
    for n in range(7):
        top_up(client_user, "2.00", f"k{n}")
    client.force_login(client_user)
    # when
    body = client.get(reverse("wallet:dashboard_panel")).content.decode()
    # then
    assert "$14.00" in body
    assert body.count("+$2.00") == 5
    assert "<html" not in body and "<h2" not in body  # the dashboard draws the card and heading


@pytest.mark.django_db
def test_client_dashboard_loads_wallet_panel(client, client_user):
    client.force_login(client_user)
    body = client.get(reverse("dashboards:home"), follow=True).content.decode()
    assert reverse("wallet:dashboard_panel") in body


@pytest.mark.django_db
def test_admin_dashboard_ledger_panel_shows_last_check(admin_client, client_user):
    # given: no run yet, then one clean run
    before = admin_client.get(reverse("staff_wallet:ledger_check_panel")).content.decode()
    top_up(client_user, "1.00", "a")
    ledger_check_run(trigger="nightly")
    # when
    after = admin_client.get(reverse("staff_wallet:ledger_check_panel")).content.decode()
    # then
    assert "has not run yet" in before
    assert "Clean" in after and "<h2" not in after
    assert reverse("staff_wallet:ledger_check_panel") in admin_client.get(reverse("dashboards:admin")).content.decode()


STAFF_URLS = [
    ("staff_wallet:index", []),
    ("staff_wallet:adjustment_new", []),
    ("staff_wallet:user_ledger", ["USER"]),
    ("staff_wallet:ledger_check_panel", []),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), STAFF_URLS)
def test_staff_wallet_pages_non_admin_404(client, client_user, reader_user, name, args):
    url = reverse(name, args=[client_user.pk if a == "USER" else a for a in args])
    for user in (client_user, reader_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert client.post(reverse("staff_wallet:ledger_check_run")).status_code == 404


@pytest.mark.django_db
def test_staff_user_ledger_shows_postings_read_only(admin_client, client_user):
    # given
    top_up(client_user, "8.00", "topup:cs_9", stripe_checkout_session_id="cs_9")
    # when
    body = admin_client.get(reverse("staff_wallet:user_ledger", args=[client_user.pk])).content.decode()
    # then
    assert f"wallet:{client_user.pk}" in body
    assert "stripe:cash" in body and "−$8.00" in body and "+$8.00" in body
    assert "topup:cs_9" in body
    main = body.split('id="main"', 1)[1].split("</main>", 1)[0]
    # nothing to edit here: the only form freezes the wallet
    assert main.count('method="post"') == 1
    assert reverse("staff_wallet:wallet_freeze", args=[client_user.pk]) in main


@pytest.mark.django_db
def test_staff_index_shows_last_ledger_check(admin_client, client_user):
    # given
    top_up(client_user, "8.00", "a")
    ledger_check_run(trigger="nightly")
    # when
    body = admin_client.get(reverse("staff_wallet:index")).content.decode()
    # then
    assert "Clean" in body and "1 transactions" in body


@pytest.mark.django_db
def test_staff_index_email_search_redirects_to_ledger(admin_client, client_user):
    response = admin_client.get(reverse("staff_wallet:index"), {"email": client_user.email.upper()})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_wallet:user_ledger", args=[client_user.pk])


# --- adjustments through the admin pages --------------------------------------------------------------


def adjustment_post(admin_client, user, *, direction="credit", amount="15.00", reason="Goodwill", key="k1", step=None):
    data = {"email": user.email, "direction": direction, "amount": amount, "reason": reason, "idempotency_key": key}
    if step:
        data["step"] = step
    return admin_client.post(reverse("staff_wallet:adjustment_new"), data)


@pytest.mark.django_db
def test_staff_adjustment_review_step_shows_effect_and_posts_nothing(admin_client, client_user):
    # given
    top_up(client_user, "10.00", "seed")
    # when
    response = adjustment_post(admin_client, client_user, direction="debit", amount="4.00")
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Confirm the adjustment" in body and "−$4.00" in body and "$6.00" in body
    assert not Transaction.objects.filter(kind="adjustment").exists()


@pytest.mark.django_db
def test_staff_adjustment_confirmed_twice_posts_once_and_audits_once(admin_client, admin_user, client_user):
    # when: the confirmation is submitted twice (double click, resubmission)
    first = adjustment_post(admin_client, client_user, step="confirm")
    second = adjustment_post(admin_client, client_user, step="confirm")
    # then
    assert first.status_code == second.status_code == 302
    assert wallet_account(client_user).balance == D("15.00")
    txn = Transaction.objects.get(kind="adjustment")
    assert txn.actor == admin_user and txn.memo == "Goodwill"
    audits = AuditLog.objects.filter(action="wallet.adjustment")
    assert audits.count() == 1
    assert audits.get().actor == admin_user and audits.get().details["amount"] == "15.00"


@pytest.mark.django_db
def test_staff_adjustment_debit_beyond_balance_refused_nothing_written(admin_client, client_user):
    # given
    top_up(client_user, "3.00", "seed")
    # when
    response = adjustment_post(admin_client, client_user, direction="debit", amount="3.01", step="confirm")
    # then
    assert response.status_code == 400
    assert "not enough money" in response.content.decode()
    assert wallet_account(client_user).balance == D("3.00")
    assert not Transaction.objects.filter(kind="adjustment").exists()
    assert not AuditLog.objects.filter(action="wallet.adjustment").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"reason": "   "}, "required"),
        ({"amount": "1.005"}, "decimal"),
        ({"amount": "0"}, "greater than or equal to 0.01"),
        ({"email": "nobody@example.com"}, "No user has this email"),
    ],
)
def test_staff_adjustment_bad_input_clear_error_nothing_written(admin_client, client_user, overrides, error):
    data = {"direction": "credit", "amount": "5.00", "reason": "Goodwill", "key": "k1", "step": "confirm"}
    data.update(overrides)
    email = data.pop("email", None)
    user = type("U", (), {"email": email})() if email else client_user
    response = adjustment_post(admin_client, user, **data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Transaction.objects.exists()


@pytest.mark.django_db
def test_staff_ledger_check_run_queues_task(admin_client, monkeypatch):
    # given
    queued = []
    monkeypatch.setattr("apps.wallet.views.ledger_check_task.delay", lambda **kwargs: queued.append(True))
    # when
    response = admin_client.post(reverse("staff_wallet:ledger_check_run"))
    # then
    assert response.status_code == 302
    assert queued == [True]
    assert LedgerCheckRun.objects.count() == 0


@pytest.mark.django_db
def test_staff_ledger_check_run_by_hand_is_not_labelled_nightly(admin_client, monkeypatch):
    # given: the queued task runs at once
    from apps.wallet.tasks import ledger_check_task

    monkeypatch.setattr("apps.wallet.views.ledger_check_task.delay", lambda **kwargs: ledger_check_task(**kwargs))
    # when
    admin_client.post(reverse("staff_wallet:ledger_check_run"))
    html = admin_client.get(reverse("staff_wallet:index")).content.decode()
    # then
    assert LedgerCheckRun.objects.get().trigger == "staff"
    assert "(nightly)" not in html
    assert "run by hand" in html
