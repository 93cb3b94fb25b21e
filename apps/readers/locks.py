"""Row locks for this app. Callers hold the transaction."""

from .models import ReaderProfile, Taxonomy


def reader_profile_lock(*, user_id: int) -> ReaderProfile:
    """Lock and return ``user_id``'s reader profile (raises ReaderProfile.DoesNotExist)."""
    return ReaderProfile.objects.select_for_update(of=("self",)).get(user_id=user_id)


def taxonomy_terms_lock(*, model: type[Taxonomy]) -> list[Taxonomy]:
    """Lock every term of one taxonomy (specialties, tools or languages), in display order.

    Reordering rewrites several rows; locking the whole (short) list serialises two admins reordering at once.
    """
    locked = list(model.objects.select_for_update(of=("self",)).order_by("pk"))
    return sorted(locked, key=lambda term: (term.position, term.name.lower(), term.pk))
