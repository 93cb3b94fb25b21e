"""Write use cases of reader payouts (SPEC §2, §3, §11): ``admin`` (share rate, KYC flags, holds, the pause),
``onboarding`` (Stripe Connect and the KYC mirror), ``payouts`` (requests, the weekly batch, transfers, money
coming back). Import from here."""

from .admin import (
    payout_hold,
    payout_kyc_flags_set,
    payout_release,
    payout_share_rate_set,
    payouts_pause,
    payouts_resume,
)
from .onboarding import (
    connect_account_deauthorized,
    connect_account_refresh,
    connect_account_sync,
    connect_onboarding_link,
    payout_account_of_create,
)
from .payouts import (
    TRANSFER_SEND,
    connect_payout_failed,
    iso_week,
    payout_request,
    payout_transfer_record,
    payout_transfer_reversed,
    payout_transfer_send,
    payouts_batch_weekly,
    transfer_group,
)

__all__ = [
    "TRANSFER_SEND",
    "connect_account_deauthorized",
    "connect_account_refresh",
    "connect_account_sync",
    "connect_onboarding_link",
    "connect_payout_failed",
    "iso_week",
    "payout_account_of_create",
    "payout_hold",
    "payout_kyc_flags_set",
    "payout_release",
    "payout_request",
    "payout_share_rate_set",
    "payout_transfer_record",
    "payout_transfer_reversed",
    "payout_transfer_send",
    "payouts_batch_weekly",
    "payouts_pause",
    "payouts_resume",
    "transfer_group",
]
