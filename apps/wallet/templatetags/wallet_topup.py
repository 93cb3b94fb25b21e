"""``{% wallet_topup_panel %}``: the top-up form for any page (the wallet page includes it)."""

from typing import Any

from django import template

from apps.core.integrations import stripe_enabled
from apps.wallet.forms_stripe import TopUpForm
from apps.wallet.services.topups import topup_limits

register = template.Library()


@register.inclusion_tag("wallet/partials/_topup_form.html", takes_context=True)
def wallet_topup_panel(context: Any) -> dict[str, Any]:
    low, high = topup_limits()
    return {
        "form": TopUpForm(),
        "stripe_enabled": stripe_enabled(),
        "topup_min": low,
        "topup_max": high,
        "csrf_token": context.get("csrf_token"),
        "user": context.get("user"),
    }
