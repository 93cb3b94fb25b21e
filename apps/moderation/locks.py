"""Row locks of the moderation app. Callers hold the transaction."""

from django.db.models import QuerySet

from .models import Report


def reports_lock(*, content_type_id: int, object_id: int) -> QuerySet[Report]:
    """Lock every report of one object, in primary-key order, and return them."""
    return (
        Report.objects.select_for_update(of=("self",))
        .filter(content_type_id=content_type_id, object_id=object_id)
        .order_by("pk")
    )
