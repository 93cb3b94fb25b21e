"""A local HTTP server that speaks the part of Stripe's REST API this project calls.

The official SDK is pointed at it (settings.STRIPE_API_BASE), so tests exercise the SDK's real requests:
form-encoded parameters, Idempotency-Key and Authorization headers, list pagination. Objects are shaped
from Stripe's own example objects (the fixtures file shipped with Stripe's OpenAPI spec), with the fields
this project reads filled in. Every request is recorded for assertions.

It also signs webhook payloads exactly as Stripe does (HMAC-SHA256 of "<timestamp>.<payload>").
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

# Stripe's example objects (from the fixtures file of Stripe's OpenAPI spec) for the types used here.
FIXTURES_PATH = Path(__file__).resolve().parent / "stripe_fixtures.json"
# … and for Connect (reader payouts): account, account_link, transfer, transfer_reversal, payout.
CONNECT_FIXTURES_PATH = Path(__file__).resolve().parent / "stripe_connect_fixtures.json"
# … and for the shop: product, price, coupon, promotion_code, shipping_rate, item (a Checkout line item).
SHOP_FIXTURES_PATH = Path(__file__).resolve().parent / "stripe_shop_fixtures.json"

API_KEY = "sk_test_51SoulSeerLocalServerKey0000000000000000000000000000"
WEBHOOK_SECRET = "whsec_soulseer_local_test_secret_0123456789abcdef"
CONNECT_WEBHOOK_SECRET = "whsec_soulseer_local_connect_secret_0123456789ab"


RESOURCES: dict[str, Any] = {
    **json.loads(FIXTURES_PATH.read_text())["resources"],
    **json.loads(CONNECT_FIXTURES_PATH.read_text())["resources"],
    **json.loads(SHOP_FIXTURES_PATH.read_text())["resources"],
}
# What an Express account still owes Stripe before onboarding (the example account's list).
ONBOARDING_REQUIREMENTS = ["external_account", "individual.verification.document", "tos_acceptance.date"]


def example(object_type: str, **overrides: Any) -> dict[str, Any]:
    """Stripe's example object of that type, deep-copied, with ``overrides`` applied."""
    obj = copy.deepcopy(RESOURCES[object_type])
    obj.update(overrides)
    return obj


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Decode Stripe's form encoding (a[b][0][c]=v) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    authorization: str | None
    stripe_version: str | None


@dataclass
class StripeTestServer:
    """State of the local Stripe. Tests read ``requests`` and drive payments with the helper methods."""

    api_key: str = API_KEY
    base_url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    balance_transactions: list[dict[str, Any]] = field(default_factory=list)
    refund_status: str = "pending"
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    account_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfer_reversals: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    promotion_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    shipping_rates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Like Stripe's current API: a Checkout Session has no PaymentIntent until the customer pays.
    lazy_payment_intent: bool = False
    failures: dict[str, list[int]] = field(default_factory=dict)
    _idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- assertions --------------------------------------------------------------------------------
    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def fail_next(self, method: str, path: str, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` requests to this endpoint with an API error of ``status``."""
        self.failures.setdefault(f"{method} {path}", []).extend([status] * times)

    # --- driving payments --------------------------------------------------------------------------
    def session_pay(self, session_id: str, *, created: int | None = None) -> dict[str, Any]:
        """The customer paid on the checkout page: the session completes, a charge and its balance
        transaction exist."""
        session = self.sessions[session_id]
        created = created or int(time.time())
        session["payment_intent"] = session["payment_intent"] or session["_payment_intent"]
        charge_id = new_id("ch")
        txn_id = new_id("txn")
        charge = example(
            "charge",
            id=charge_id,
            amount=session["amount_total"],
            amount_captured=session["amount_total"],
            captured=True,
            currency="usd",
            payment_intent=session["payment_intent"],
            balance_transaction=txn_id,
            metadata=dict(session["metadata"]),
            created=created,
        )
        self.charges[charge_id] = charge
        self.balance_transactions.append(
            example(
                "balance_transaction",
                id=txn_id,
                amount=session["amount_total"],
                net=session["amount_total"],
                fee=0,
                currency="usd",
                created=created,
                source=charge_id,
                type="charge",
                reporting_category="charge",
                description="SoulSeer wallet top-up",
            )
        )
        session.update(status="complete", payment_status="paid")
        session["_charge"] = charge_id
        return self.public(session)

    def refund_settle(self, refund_id: str, status: str = "succeeded") -> dict[str, Any]:
        """Stripe settles a refund. ``failed`` after ``succeeded`` is a refund the card network returned:
        Stripe gives the money back with a ``refund_failure`` balance transaction."""
        refund = self.refunds[refund_id]
        if status == "failed" and refund["status"] == "succeeded":
            txn_id = new_id("txn")
            refund["failure_balance_transaction"] = txn_id
            refund["failure_reason"] = "expired_or_canceled_card"
            self.balance_transactions.append(
                example(
                    "balance_transaction",
                    id=txn_id,
                    amount=refund["amount"],
                    net=refund["amount"],
                    fee=0,
                    currency="usd",
                    created=int(time.time()),
                    source=refund_id,
                    type="refund_failure",
                    reporting_category="refund_failure",
                    description="REFUND FAILURE",
                )
            )
            charge = self.charges.get(refund["charge"])
            if charge is not None:
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
        refund["status"] = status
        if status == "succeeded" and not refund.get("balance_transaction"):
            txn_id = new_id("txn")
            refund["balance_transaction"] = txn_id
            self.balance_transactions.append(
                example(
                    "balance_transaction",
                    id=txn_id,
                    amount=-refund["amount"],
                    net=-refund["amount"],
                    fee=0,
                    currency="usd",
                    created=int(time.time()),
                    source=refund_id,
                    type="refund",
                    reporting_category="refund",
                    description="REFUND FOR CHARGE",
                )
            )
        charge = self.charges.get(refund["charge"])
        if charge is not None and status == "succeeded":
            charge["amount_refunded"] += refund["amount"]
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return dict(refund)

    def refund_in_dashboard(self, session_id: str, amount: int, status: str = "succeeded") -> dict[str, Any]:
        """A refund made in the Stripe Dashboard: no metadata, no request from this site."""
        session = self.sessions[session_id]
        charge = self.charges[session["_charge"]]
        refund = example(
            "refund",
            id=new_id("re"),
            amount=amount,
            charge=charge["id"],
            payment_intent=session["payment_intent"],
            currency="usd",
            created=int(time.time()),
            metadata={},
            reason="requested_by_customer",
            status="pending",
            balance_transaction=None,
        )
        self.refunds[refund["id"]] = refund
        return self.refund_settle(refund["id"], status) if status != "pending" else dict(refund)

    def charge_for_session(self, session_id: str) -> dict[str, Any]:
        return self.charges[self.sessions[session_id]["_charge"]]

    def event(
        self, event_type: str, obj: dict[str, Any], *, created: int | None = None, account: str | None = None
    ) -> dict[str, Any]:
        """An event as Stripe delivers it (and as its Events API lists it). ``account``: a Connect event about
        that connected account (Stripe names it at the event's top level)."""
        evt = example(
            "event",
            id=new_id("evt"),
            type=event_type,
            created=created or int(time.time()),
            data={"object": self.public(obj)},
            api_version=stripe.api_version,
            livemode=False,
            pending_webhooks=1,
        )
        if account is not None:
            evt["account"] = account
        self.events.append(evt)
        return evt

    # --- Connect ------------------------------------------------------------------------------------
    def account_complete(self, account_id: str) -> dict[str, Any]:
        """The reader finished onboarding and Stripe verified them: payouts on, nothing due."""
        account = self.accounts[account_id]
        account.update(details_submitted=True, payouts_enabled=True, charges_enabled=False)
        account["capabilities"] = {"transfers": "active"}
        account["requirements"] = {
            **account["requirements"],
            "currently_due": [],
            "eventually_due": [],
            "past_due": [],
            "disabled_reason": None,
        }
        return self.public(account)

    def account_require(self, account_id: str, *, past_due: list[str], disabled_reason: str) -> dict[str, Any]:
        """Stripe wants more from the reader and stopped their payouts."""
        account = self.accounts[account_id]
        account["payouts_enabled"] = False
        account["requirements"] = {
            **account["requirements"],
            "currently_due": list(past_due),
            "past_due": list(past_due),
            "disabled_reason": disabled_reason,
        }
        return self.public(account)

    def transfer_reverse(self, transfer_id: str, amount: int | None = None) -> dict[str, Any]:
        """Reverse (part of) a transfer, as the Dashboard or the API does; returns the transfer."""
        status, answer = self._transfer_reversal_create(transfer_id, {"amount": amount} if amount else {})
        assert status == 200, answer
        return self.public(self.transfers[transfer_id])

    def bank_payout_failed(self, account_id: str, amount: int) -> dict[str, Any]:
        """A payout from a connected account's balance to its bank that the bank returned."""
        return example(
            "payout",
            id=new_id("po"),
            amount=amount,
            created=int(time.time()),
            status="failed",
            failure_code="account_closed",
            failure_message="The bank account has been closed.",
        )

    # --- the shop's catalog and checkout -------------------------------------------------------------------
    def product_create(
        self,
        name: str,
        *,
        unit_amount: int,
        metadata: dict[str, str],
        active: bool = True,
        images: list[str] | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        """A product with a one-time USD default price, as created in the Stripe Dashboard; returns the product."""
        created = int(time.time())
        product_id = new_id("prod")
        product = example(
            "product",
            id=product_id,
            name=name,
            description=description or None,
            metadata=dict(metadata),
            active=active,
            images=list(images or []),
            created=created,
            updated=created,
            default_price=None,
            type="good",
        )
        self.products[product_id] = product
        price = self.price_create(product_id, unit_amount=unit_amount)
        product["default_price"] = price["id"]
        return self.public(product)

    def price_create(self, product_id: str, *, unit_amount: int, active: bool = True) -> dict[str, Any]:
        price = example(
            "price",
            id=new_id("price"),
            product=product_id,
            unit_amount=unit_amount,
            unit_amount_decimal=str(unit_amount),
            currency="usd",
            active=active,
            type="one_time",
            recurring=None,
            transform_quantity=None,
            created=int(time.time()),
        )
        self.prices[price["id"]] = price
        return self.public(price)

    def product_update(self, product_id: str, **changes: Any) -> dict[str, Any]:
        product = self.products[product_id]
        product.update(changes, updated=int(time.time()))
        return self.public(product)

    def price_update(self, price_id: str, **changes: Any) -> dict[str, Any]:
        self.prices[price_id].update(changes)
        return self.public(self.prices[price_id])

    def product_delete(self, product_id: str) -> dict[str, Any]:
        """Deleted in Stripe: retrieving it answers 404 from now on; returns the event's deleted object."""
        product = self.products.pop(product_id)
        return {**self.public(product), "deleted": True}

    def promotion_code_create(self, code: str, *, percent_off: float | None = None, amount_off: int | None = None):
        coupon = example(
            "coupon",
            id=secrets.token_hex(4).upper(),
            percent_off=percent_off,
            amount_off=amount_off,
            currency="usd" if amount_off else None,
            duration="once",
            name=code,
            valid=True,
        )
        promo = example(
            "promotion_code",
            id=new_id("promo"),
            code=code,
            active=True,
            expires_at=None,
            created=int(time.time()),
            promotion={"coupon": coupon["id"], "type": "coupon"},
        )
        promo["_coupon"] = coupon
        self.promotion_codes[code] = promo
        return self.public(promo)

    def shipping_rate_create(self, display_name: str, *, amount: int) -> dict[str, Any]:
        rate = example(
            "shipping_rate",
            id=new_id("shr"),
            display_name=display_name,
            fixed_amount={"amount": amount, "currency": "usd"},
            created=int(time.time()),
            delivery_estimate=None,
        )
        self.shipping_rates[rate["id"]] = rate
        return self.public(rate)

    def _shop_session_create(self, params: dict[str, Any]) -> tuple[int, Any]:
        """Like Stripe: only active prices of active products; amounts from the prices."""
        session_id = "cs_test_" + secrets.token_hex(24)
        lines = []
        for item in params["line_items"]:
            price = self.prices.get(item.get("price", ""))
            product = self.products.get(price["product"]) if price else None
            if price is None:
                return 400, _error(f"No such price: '{item.get('price')}'", "invalid_request_error", "resource_missing")
            if not price["active"] or product is None or not product["active"]:
                return 400, _error(
                    f"The price specified is inactive: '{price['id']}'.", "invalid_request_error", "price_inactive"
                )
            quantity = int(item.get("quantity", 1))
            amount = price["unit_amount"] * quantity
            lines.append(
                example(
                    "item",
                    id=new_id("li"),
                    price=self.public(price),
                    quantity=quantity,
                    description=product["name"],
                    amount_subtotal=amount,
                    amount_discount=0,
                    amount_tax=0,
                    amount_total=amount,
                    currency="usd",
                    metadata=None,
                    adjustable_quantity=None,
                )
            )
        subtotal = sum(line["amount_subtotal"] for line in lines)
        expires_at = int(params.get("expires_at") or time.time() + 86400)
        if not time.time() + 1800 <= expires_at <= time.time() + 86400:
            return 400, _error("expires_at must be between 30 minutes and 24 hours.", "invalid_request_error", None)
        options = [o["shipping_rate"] for o in params.get("shipping_options") or []]
        if any(rate not in self.shipping_rates for rate in options):
            return 400, _error("No such shipping rate.", "invalid_request_error", "resource_missing")
        session = self._session_open(
            params,
            session_id=session_id,
            amount=subtotal,
            currency="usd",
            expires_at=expires_at,
            allow_promotion_codes=params.get("allow_promotion_codes") == "true",
            shipping_address_collection=params.get("shipping_address_collection"),
            shipping_options=[
                {"shipping_amount": self.shipping_rates[r]["fixed_amount"]["amount"], "shipping_rate": r}
                for r in options
            ],
            shipping_details=None,
            collected_information=None,
            discounts=[],
        )
        session["_line_items"] = lines
        return 200, self.public(session)

    def shop_session_pay(
        self,
        session_id: str,
        *,
        promotion_code: str | None = None,
        shipping_rate: str | None = None,
        shipping_address: dict[str, str] | None = None,
        shipping_name: str = "",
    ) -> dict[str, Any]:
        """The buyer completes a shop Checkout Session: a promotion code entered (if allowed), a shipping address
        and rate chosen (if collected). Discounts are spread over the lines as Stripe does; then ``session_pay``."""
        session = self.sessions[session_id]
        lines = session["_line_items"]
        subtotal = session["amount_subtotal"]
        discount = 0
        if promotion_code:
            assert session["allow_promotion_codes"], "promotion codes are not allowed on this session"
            promo = self.promotion_codes[promotion_code]
            coupon = promo["_coupon"]
            if coupon.get("percent_off"):
                discount = int(subtotal * coupon["percent_off"] / 100)
            else:
                discount = min(subtotal, int(coupon["amount_off"]))
            session["discounts"] = [{"coupon": coupon["id"], "promotion_code": promo["id"]}]
            left = discount
            for index, line in enumerate(lines):
                share = left if index == len(lines) - 1 else discount * line["amount_subtotal"] // subtotal
                line["amount_discount"] = share
                line["amount_total"] = line["amount_subtotal"] - share
                left -= share
        shipping = 0
        if session["shipping_address_collection"]:
            assert shipping_address, "this session collects a shipping address"
            details = {"name": shipping_name, "address": shipping_address}
            session["shipping_details"] = details
            session["collected_information"] = {"shipping_details": details}
            rate_id = shipping_rate or (
                session["shipping_options"][0]["shipping_rate"] if session["shipping_options"] else None
            )
            if rate_id:
                shipping = self.shipping_rates[rate_id]["fixed_amount"]["amount"]
                session["shipping_cost"] = {
                    "amount_subtotal": shipping,
                    "amount_tax": 0,
                    "amount_total": shipping,
                    "shipping_rate": rate_id,
                }
        session["total_details"] = {"amount_discount": discount, "amount_shipping": shipping, "amount_tax": 0}
        session["amount_total"] = subtotal - discount + shipping
        return self.session_pay(session_id)

    def session_expire(self, session_id: str) -> dict[str, Any]:
        self.sessions[session_id]["status"] = "expired"
        return self.public(self.sessions[session_id])

    @staticmethod
    def public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    # --- API -------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict[str, Any], headers: Any) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    params=params,
                    idempotency_key=headers.get("Idempotency-Key"),
                    authorization=headers.get("Authorization"),
                    stripe_version=headers.get("Stripe-Version"),
                )
            )
            if headers.get("Authorization") != f"Bearer {self.api_key}":
                return 401, _error("Invalid API Key provided.", "authentication_error", None)
            queued = self.failures.get(f"{method} {path}")
            if queued:
                return queued.pop(0), _error("The server is having trouble.", "api_error", None)
            key = headers.get("Idempotency-Key")
            if method == "POST" and key and key in self._idempotent:
                return self._idempotent[key]
            answer = self._route(method, path, params)
            if method == "POST" and key and answer[0] == 200:
                self._idempotent[key] = answer
            return answer

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._session_create(params)
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 5:
            session = self.sessions.get(parts[3])
            if session is None or parts[4] != "line_items":
                return 404, _error(
                    f"No such checkout session: '{parts[3]}'", "invalid_request_error", "resource_missing"
                )
            return 200, self._list_in_order(session.get("_line_items", []), params, path)
        if method == "GET" and path == "/v1/products":
            return 200, self._list(list(self.products.values()), params, "/v1/products")
        if method == "GET" and parts[:2] == ["v1", "products"] and len(parts) == 3:
            return self._get(self.products, parts[2])
        if method == "GET" and path == "/v1/prices":
            return 200, self._list(list(self.prices.values()), params, "/v1/prices")
        if method == "GET" and parts[:2] == ["v1", "prices"] and len(parts) == 3:
            return self._get(self.prices, parts[2])
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            return self._get(self.sessions, parts[3])
        if method == "POST" and path == "/v1/refunds":
            return self._refund_create(params)
        if method == "GET" and path == "/v1/refunds":
            rows = [r for r in self.refunds.values() if not params.get("charge") or r["charge"] == params["charge"]]
            return 200, self._list(rows, params, "/v1/refunds")
        if method == "GET" and parts[:2] == ["v1", "refunds"] and len(parts) == 3:
            return self._get(self.refunds, parts[2])
        if method == "GET" and parts[:2] == ["v1", "charges"] and len(parts) == 3:
            return self._get(self.charges, parts[2])
        if method == "GET" and path == "/v1/events":
            return 200, self._list(self.events, params, "/v1/events")
        if method == "GET" and path == "/v1/balance_transactions":
            listing = self._list(self.balance_transactions, params, "/v1/balance_transactions")
            if "data.source" in (params.get("expand") or []):
                for txn in listing["data"]:
                    source = (
                        self.charges.get(txn["source"])
                        or self.refunds.get(txn["source"])
                        or self.transfers.get(txn["source"])
                        or self.transfer_reversals.get(txn["source"])
                    )
                    if source is not None:
                        txn["source"] = self.public(source)
            return 200, listing
        if method == "POST" and path == "/v1/accounts":
            return 200, self._account_create(params)
        if method == "GET" and parts[:2] == ["v1", "accounts"] and len(parts) == 3:
            return self._get(self.accounts, parts[2])
        if method == "POST" and path == "/v1/account_links":
            return self._account_link_create(params)
        if method == "POST" and path == "/v1/transfers":
            return self._transfer_create(params)
        if method == "GET" and path == "/v1/transfers":
            rows = [
                t
                for t in self.transfers.values()
                if not params.get("transfer_group") or t["transfer_group"] == params["transfer_group"]
            ]
            return 200, self._list(rows, params, "/v1/transfers")
        if method == "GET" and parts[:2] == ["v1", "transfers"] and len(parts) == 3:
            return self._get(self.transfers, parts[2])
        if method == "POST" and parts[:2] == ["v1", "transfers"] and len(parts) == 4 and parts[3] == "reversals":
            return self._transfer_reversal_create(parts[2], params)
        return 404, _error(f"Unrecognized request URL ({method}: {path}).", "invalid_request_error", None)

    def _account_create(self, params: dict[str, Any]) -> dict[str, Any]:
        account_id = "acct_" + secrets.token_hex(8)
        account = example(
            "account",
            id=account_id,
            type=params.get("type", "express"),
            email=params.get("email"),
            metadata=params.get("metadata", {}),
            created=int(time.time()),
            details_submitted=False,
            payouts_enabled=False,
            charges_enabled=False,
            capabilities={"transfers": "inactive"},
            controller={"type": "application", "is_controller": True},
            external_accounts={
                "data": [],
                "has_more": False,
                "object": "list",
                "url": f"/v1/accounts/{account_id}/external_accounts",
            },
        )
        account["requirements"] = {
            **account["requirements"],
            "currently_due": list(ONBOARDING_REQUIREMENTS),
            "eventually_due": list(ONBOARDING_REQUIREMENTS),
            "past_due": [],
            "disabled_reason": "requirements.past_due",
        }
        self.accounts[account_id] = account
        return self.public(account)

    def _account_link_create(self, params: dict[str, Any]) -> tuple[int, Any]:
        if params.get("account") not in self.accounts:
            return 400, _error(
                f"No such account: '{params.get('account')}'", "invalid_request_error", "resource_missing"
            )
        token = secrets.token_urlsafe(12)
        self.account_links[token] = {
            "account": params["account"],
            "return_url": params["return_url"],
            "refresh_url": params["refresh_url"],
        }
        created = int(time.time())
        link = example(
            "account_link", created=created, expires_at=created + 300, url=f"{self.base_url}/connect/onboard/{token}"
        )
        return 200, link

    def onboarding_visit(self, token: str) -> str:
        """The reader goes through Stripe's hosted onboarding: the account is completed; returns where Stripe
        sends them back to (the return URL, or the refresh URL for an unknown or used link)."""
        link = self.account_links.pop(token, None)
        if link is None:
            return ""
        self.account_complete(link["account"])
        return link["return_url"]

    def _transfer_create(self, params: dict[str, Any]) -> tuple[int, Any]:
        destination = self.accounts.get(params.get("destination", ""))
        if destination is None:
            return 400, _error("No such destination account.", "invalid_request_error", "resource_missing")
        if (destination.get("capabilities") or {}).get("transfers") != "active":
            return 400, _error(
                "Your destination account needs to have the transfers capability enabled.",
                "invalid_request_error",
                "insufficient_capabilities_for_transfer",
            )
        transfer_id = new_id("tr")
        txn_id = new_id("txn")
        amount = int(params["amount"])
        created = int(time.time())
        transfer = example(
            "transfer",
            id=transfer_id,
            amount=amount,
            amount_reversed=0,
            currency=params.get("currency", "usd"),
            destination=destination["id"],
            destination_payment=new_id("py"),
            transfer_group=params.get("transfer_group"),
            metadata=params.get("metadata", {}),
            created=created,
            balance_transaction=txn_id,
            reversed=False,
            reversals={
                "data": [],
                "has_more": False,
                "object": "list",
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
        )
        self.transfers[transfer_id] = transfer
        self.balance_transactions.append(
            example(
                "balance_transaction",
                id=txn_id,
                amount=-amount,
                net=-amount,
                fee=0,
                currency="usd",
                created=created,
                source=transfer_id,
                type="transfer",
                reporting_category="transfer",
                description=None,
            )
        )
        return 200, self.public(transfer)

    def _transfer_reversal_create(self, transfer_id: str, params: dict[str, Any]) -> tuple[int, Any]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return 404, _error(f"No such transfer: '{transfer_id}'", "invalid_request_error", "resource_missing")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = int(params.get("amount") or remaining)
        if amount <= 0 or amount > remaining:
            return 400, _error("The reversal is more than what is left of the transfer.", "invalid_request_error", None)
        reversal = example(
            "transfer_reversal", id=new_id("trr"), amount=amount, transfer=transfer_id, created=int(time.time())
        )
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        self.transfer_reversals[reversal["id"]] = reversal
        txn_id = new_id("txn")
        reversal["balance_transaction"] = txn_id
        self.balance_transactions.append(
            example(
                "balance_transaction",
                id=txn_id,
                amount=amount,
                net=amount,
                fee=0,
                currency="usd",
                created=reversal["created"],
                source=reversal["id"],
                type="transfer_refund",
                reporting_category="transfer_reversal",
                description=None,
            )
        )
        return 200, reversal

    def _get(self, store: dict[str, dict[str, Any]], object_id: str) -> tuple[int, Any]:
        obj = store.get(object_id)
        if obj is None:
            return 404, _error(f"No such object: '{object_id}'", "invalid_request_error", "resource_missing")
        return 200, self.public(obj)

    def _session_create(self, params: dict[str, Any]) -> tuple[int, Any]:
        if "price" in params["line_items"][0]:
            return self._shop_session_create(params)
        return 200, self._topup_session_create(params)

    def _topup_session_create(self, params: dict[str, Any]) -> dict[str, Any]:
        item = params["line_items"][0]
        amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
        session = self._session_open(
            params,
            session_id="cs_test_" + secrets.token_hex(24),
            amount=amount,
            currency=item["price_data"]["currency"],
            expires_at=int(time.time()) + 86400,
            shipping_address_collection=None,
        )
        return self.public(session)

    def _session_open(
        self, params: dict[str, Any], *, session_id: str, amount: int, currency: str, expires_at: int, **fields: Any
    ) -> dict[str, Any]:
        """An open, unpaid Checkout Session for ``amount`` (what every session has; ``fields`` adds the rest),
        kept in ``self.sessions``."""
        session = example(
            "checkout.session",
            id=session_id,
            object="checkout.session",
            mode=params["mode"],
            amount_subtotal=amount,
            amount_total=amount,
            currency=currency,
            client_reference_id=params.get("client_reference_id"),
            customer_email=params.get("customer_email"),
            metadata=params.get("metadata", {}),
            payment_intent=None if self.lazy_payment_intent else new_id("pi"),
            _payment_intent=new_id("pi"),
            payment_status="unpaid",
            status="open",
            success_url=params["success_url"],
            cancel_url=params["cancel_url"],
            url=f"{self.base_url}/pay/{session_id}",
            created=int(time.time()),
            expires_at=expires_at,
            shipping_cost=None,
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            currency_conversion=None,
            **fields,
        )
        self.sessions[session_id] = session
        return session

    def _refund_create(self, params: dict[str, Any]) -> tuple[int, Any]:
        session = next((s for s in self.sessions.values() if s["payment_intent"] == params.get("payment_intent")), None)
        if session is None or session.get("payment_status") != "paid":
            return 400, _error("This PaymentIntent has no successful charge.", "invalid_request_error", None)
        charge = self.charges[session["_charge"]]
        amount = int(params.get("amount", charge["amount"]))
        # As Stripe: a refund that failed or was canceled gave its amount back to the charge.
        already = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["charge"] == charge["id"] and r["status"] not in ("failed", "canceled")
        )
        if amount + already > charge["amount"]:
            return 400, _error(
                "Refund amount is greater than unrefunded amount on charge.", "invalid_request_error", None
            )
        refund = example(
            "refund",
            id=new_id("re"),
            amount=amount,
            charge=charge["id"],
            payment_intent=session["payment_intent"],
            currency="usd",
            created=int(time.time()),
            metadata=params.get("metadata", {}),
            reason=params.get("reason"),
            status=self.refund_status,
            balance_transaction=None,
        )
        self.refunds[refund["id"]] = refund
        if self.refund_status == "succeeded":
            self.refund_settle(refund["id"])
        return 200, self.public(refund)

    def _list_in_order(self, items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
        """One page of ``items`` as they are ordered, after ``starting_after``, ``limit`` long (10 by default)."""
        rows = list(items)
        if params.get("starting_after"):
            ids = [o["id"] for o in rows]
            rows = rows[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit", 10))
        return {
            "object": "list",
            "url": url,
            "has_more": len(rows) > limit,
            "data": [self.public(o) for o in rows[:limit]],
        }

    def _list(self, items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
        """A page of ``items`` newest first, filtered as Stripe's list endpoints filter (``created``, ``type``)."""
        created = params.get("created") or {}
        rows = sorted(items, key=lambda o: o["created"], reverse=True)
        if "gte" in created:
            rows = [o for o in rows if o["created"] >= int(created["gte"])]
        if "lte" in created:
            rows = [o for o in rows if o["created"] <= int(created["lte"])]
        if params.get("type"):
            rows = [o for o in rows if o["type"] == params["type"]]
        return self._list_in_order(rows, params, url)


def _error(message: str, error_type: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "code": code}}


CHECKOUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test checkout</title></head>
<body><main><h1>Test checkout</h1><p>Checkout Session {session_id}</p></main></body></html>
"""


def make_handler(state: StripeTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            if url.path.startswith("/pay/"):
                self._send(200, CHECKOUT_PAGE.format(session_id=url.path[5:]).encode(), "text/html")
                return
            if url.path.startswith("/connect/onboard/"):
                # Stripe's hosted onboarding, done at once: the account is verified and the reader sent back.
                with state.lock:
                    back = state.onboarding_visit(url.path.rsplit("/", 1)[-1])
                if not back:
                    self._send(404, b"This onboarding link has expired.", "text/plain")
                    return
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            pairs = parse_qsl(url.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
            status, payload = state.handle(method, url.path, parse_form(pairs), self.headers)
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(8))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def do_DELETE(self) -> None:
            self._answer("DELETE")

    return Handler


class running_stripe_server:
    """Context manager: a StripeTestServer listening on 127.0.0.1 on a free port."""

    def __enter__(self) -> StripeTestServer:
        self.state = StripeTestServer()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        self.httpd.daemon_threads = True
        port = self.httpd.server_address[1]
        self.state.base_url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()
        return self.state

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for ``payload``."""
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(time.time()) if timestamp is None else timestamp
    )


def webhook_post(
    client: Any,
    event: dict[str, Any] | str,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    path: str = "/wallet/stripe/webhook/",
) -> Any:
    """POST ``event`` to the webhook endpoint, signed as Stripe signs it. ``client`` is Django's test
    client or anything with the same ``post`` signature."""
    payload = event if isinstance(event, str) else json.dumps(event)
    return client.post(
        path,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret=secret, timestamp=timestamp),
    )
