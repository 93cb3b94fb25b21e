"""Ledger pages: the client's wallet and history, the dashboard panel, and the admin ledger pages.

Stripe top-up, webhook and refund views live in views_stripe.py.
"""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.models import User
from apps.accounts.selectors import user_get_for_admin
from apps.core.exceptions import DomainError
from apps.core.permissions import reader_required, staff_required
from apps.wallet import selectors
from apps.wallet.forms import AdjustmentForm, KindFilterForm, WalletFreezeForm
from apps.wallet.services.adjustments import adjustment_create
from apps.wallet.services.freezes import wallet_freeze, wallet_unfreeze
from apps.wallet.tasks import ledger_check_task
from apps.wallet.templatetags.wallet_money import signed_usd

PAGE_SIZE = 20
TOPUP_PARTIAL = "wallet/partials/_topup.html"


def _topup_partial() -> str | None:
    """The top-up block, when the top-up feature is installed (it says itself whether Stripe is configured)."""
    try:
        get_template(TOPUP_PARTIAL)
    except TemplateDoesNotExist:
        return None
    return TOPUP_PARTIAL


def _page(request: HttpRequest, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    filter_form = KindFilterForm(request.GET or None)
    kind = filter_form.selected_kind() if filter_form.is_bound else None
    # A reader also has an earnings account, and sees its history first; ?account=wallet shows the wallet's.
    is_reader = getattr(request.user, "is_reader", False)
    account = "earnings" if is_reader and request.GET.get("account") != "wallet" else "wallet"
    entries = selectors.wallet_entry_list(viewer=request.user, kind=kind, account=account)
    context = {
        "balance": selectors.wallet_balance(user=request.user),
        "earnings_balance": selectors.earnings_balance(user=request.user) if is_reader else None,
        "account": account,
        "page": _page(request, entries),
        "filter_form": filter_form,
        "kind": kind,
        "topup_partial": _topup_partial(),
    }
    return render(request, "wallet/home.html", context)


@login_required
@require_GET
def transaction_detail(request: HttpRequest, transaction_id: int) -> HttpResponse:
    entry = selectors.wallet_entry_get(viewer=request.user, transaction_id=transaction_id)
    return render(request, "wallet/transaction_detail.html", {"entry": entry, "txn": entry.transaction})


@login_required
@require_GET
def dashboard_panel(request: HttpRequest) -> HttpResponse:
    context = {
        "balance": selectors.wallet_balance(user=request.user),
        "entries": selectors.wallet_entry_list(viewer=request.user)[:5],
    }
    return render(request, "wallet/partials/_dashboard_panel.html", context)


@reader_required
@require_GET
def earnings_panel(request: HttpRequest) -> HttpResponse:
    """The reader dashboard's "Earnings by source": readings, paid replies, gifts, tickets… from the ledger."""
    context = {
        "earnings": selectors.earnings_by_source(user=request.user),
        "balance": selectors.earnings_balance(user=request.user),
    }
    return render(request, "wallet/partials/_earnings_panel.html", context)


# --- admin -------------------------------------------------------------------------------------------


@staff_required
@require_GET
def staff_index(request: HttpRequest) -> HttpResponse:
    email = request.GET.get("email", "").strip()
    if email:
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            return redirect("staff_wallet:user_ledger", user_id=user.pk)
        messages.error(request, "No user has this email address.")
    return render(request, "wallet/staff/index.html", {"last_check": selectors.ledger_check_last(), "email": email})


@staff_required
@require_GET
def staff_ledger_check_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "wallet/staff/_ledger_check_panel.html", {"last_check": selectors.ledger_check_last()})


@staff_required
@require_POST
def staff_ledger_check_run(request: HttpRequest) -> HttpResponse:
    ledger_check_task.delay(trigger="staff")
    messages.success(request, "The ledger check was queued; its result appears here when it finishes.")
    return redirect("staff_wallet:index")


@staff_required
@require_GET
def staff_user_ledger(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_ledger_page(request, user_get_for_admin(viewer=request.user, user_id=user_id))


def _user_ledger_page(request: HttpRequest, person: User, freeze_form: WalletFreezeForm | None = None) -> HttpResponse:
    filter_form = KindFilterForm(request.GET or None)
    kind = filter_form.selected_kind() if filter_form.is_bound else None
    accounts = [(account, selectors.balance_of(account)) for account in selectors.user_account_list(user=person)]
    context = {
        "person": person,
        "accounts": accounts,
        "page": _page(request, selectors.user_ledger_list(user=person, kind=kind)),
        "filter_form": filter_form,
        "freeze_form": freeze_form or WalletFreezeForm(),
        "wallet": next((account for account, _ in accounts if account.kind == "wallet"), None),
    }
    return render(request, "wallet/staff/user_ledger.html", context, status=400 if freeze_form else 200)


@staff_required
@require_POST
def staff_wallet_freeze(request: HttpRequest, user_id: int) -> HttpResponse:
    """Freeze or unfreeze a client's wallet by hand, with a reason (audited)."""
    person = user_get_for_admin(viewer=request.user, user_id=user_id)
    form = WalletFreezeForm(request.POST)
    if not form.is_valid():
        return _user_ledger_page(request, person, freeze_form=form)
    change = wallet_freeze if form.cleaned_data["action"] == "freeze" else wallet_unfreeze
    try:
        change(actor=request.user, user=person, reason=form.cleaned_data["reason"], request=request)
    except DomainError as error:
        form.add_error(None, error.message)
        return _user_ledger_page(request, person, freeze_form=form)
    messages.success(request, f"{person.email}'s wallet is {form.cleaned_data['action']}d.")
    return redirect("staff_wallet:user_ledger", user_id=person.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_adjustment_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {"email": request.GET.get("email", ""), "idempotency_key": uuid.uuid4().hex}
        return render(request, "wallet/staff/adjustment_form.html", {"form": AdjustmentForm(initial=initial)})
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        return render(request, "wallet/staff/adjustment_form.html", {"form": form}, status=400)
    person, amount = form.cleaned_data["user"], form.signed_amount()
    if request.POST.get("step") != "confirm":
        balance = selectors.wallet_balance(user=person)
        context = {"form": form, "person": person, "amount": amount, "balance": balance, "after": balance + amount}
        return render(request, "wallet/staff/adjustment_confirm.html", context)
    try:
        adjustment_create(
            actor=request.user,
            user=person,
            amount=amount,
            reason=form.cleaned_data["reason"],
            idempotency_key=f"adjustment:{form.cleaned_data['idempotency_key']}",
            request=request,
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return render(request, "wallet/staff/adjustment_form.html", {"form": form}, status=400)
    messages.success(request, f"Adjusted {person.email}'s wallet by {_signed(amount)}.")
    return redirect("staff_wallet:user_ledger", user_id=person.pk)


def _signed(amount: Decimal) -> str:
    return signed_usd(amount)
