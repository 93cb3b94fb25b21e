"""Numbers of the scheduling rules (SPEC §6). Policy values are snapshotted on every booking."""

from decimal import Decimal

# The wallet hold of a booking is hold:booking:<id> (apps.wallet.hold_subjects).
BOOKING_SUBJECT = "booking"

DURATION_CHOICES = (15, 30, 45, 60)
DEFAULT_MIN_NOTICE_MINUTES = 12 * 60
DEFAULT_HORIZON_DAYS = 60
MAX_HORIZON_DAYS = 180
MAX_BUFFER_MINUTES = 120
SLOT_STEP_MINUTES = 15

# A side that has not joined this long after the start is a no-show (SPEC §6, issue: 10 minutes).
NO_SHOW_AFTER_MINUTES = 10

# The cancellation policy in force for new bookings. Refund shares of the price by how long before the start the
# client cancels; a reader's cancel or no-show always refunds in full.
CANCELLATION_POLICY = {
    "version": 1,
    "full_refund_before_hours": 24,
    "half_refund_before_hours": 2,
    "half_refund_share": "0.50",
    "reschedules_allowed": 1,
}
FULL = Decimal("1.00")
NONE = Decimal("0.00")
