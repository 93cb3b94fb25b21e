"""Money display: ``{{ amount|usd }}`` → $1,234.50 and ``{{ amount|signed_usd }}`` → +$5.00 / −$5.00."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(amount: Decimal | None) -> str:
    amount = Decimal(amount or 0)
    return f"−${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


@register.filter
def signed_usd(amount: Decimal | None) -> str:
    amount = Decimal(amount or 0)
    return f"+${amount:,.2f}" if amount > 0 else usd(amount)
