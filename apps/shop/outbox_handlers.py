"""Outbox handlers of the shop (imported by ShopConfig.ready)."""

from apps.core.outbox import outbox_handler

from .services.refunds import REFUND_SUBMIT, order_refund_submit


@outbox_handler(REFUND_SUBMIT)
def refund_submit(*, refund_id: int) -> None:
    order_refund_submit(refund_id=refund_id)
