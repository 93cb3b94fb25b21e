"""Outbox handlers of the payouts app (imported by ``PayoutsConfig.ready``)."""

from apps.core.outbox import outbox_handler

from .services import TRANSFER_SEND, payout_transfer_send


@outbox_handler(TRANSFER_SEND)
def transfer_send(*, payout_id: int) -> None:
    payout_transfer_send(payout_id=payout_id)
