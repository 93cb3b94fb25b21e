"""Periodic work of the shop (beat schedule in config/celery.py)."""

from celery import shared_task

from .services.orders import reservations_release_expired


@shared_task(name="shop.reservations_release", acks_late=True)
def reservations_release_task() -> int:
    """Pending orders past their checkout's expiry (plus grace) end and give their stock back."""
    return reservations_release_expired()
