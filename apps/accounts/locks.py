"""Row locks for accounts. Always lock through these helpers so every caller takes locks in the same order.

Callers must hold a transaction. ``of=("self",)`` keeps joined rows unlocked; ``order_by("pk")`` gives a
fixed lock order when several rows are locked at once.
"""

from django.db.models import QuerySet

from apps.core.exceptions import NotFound

from .models import ReaderApplication, User


def user_lock(*, user_id: int) -> User:
    """Lock one user row and return it fresh from the database (``NotFound`` if there is none)."""
    user = User.objects.select_for_update(of=("self",)).order_by("pk").filter(pk=user_id).first()
    if user is None:
        raise NotFound("That account does not exist.")
    return user


def users_lock(*, user_ids: list[int]) -> QuerySet[User]:
    return User.objects.select_for_update(of=("self",)).filter(pk__in=user_ids).order_by("pk")


def reader_application_lock(*, application_id: int) -> ReaderApplication:
    """Lock one application row (``NotFound`` if there is none). Lock order: the application first, then its
    applicant (``user_lock``)."""
    application = (
        ReaderApplication.objects.select_for_update(of=("self",)).order_by("pk").filter(pk=application_id).first()
    )
    if application is None:
        raise NotFound("That application does not exist.")
    return application
