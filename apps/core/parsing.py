"""Reading ids out of untrusted text (query strings, webhook metadata, channel names).

``str.isdigit()`` is no guard: it accepts ``"²"`` and other Unicode digits that ``int()`` refuses, and a long run
of digits parses but overflows PostgreSQL's bigint in the query that follows. Both ended in a server error.
"""

from typing import Any

# The largest value of a PostgreSQL bigint, the type of every primary key here.
MAX_ID = 2**63 - 1


def id_or_none(value: Any) -> int | None:
    """``value`` as a positive database id if it is one (ASCII digits, within bigint), else None."""
    text = str(value).strip() if value is not None else ""
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def ids_from_csv(value: str, *, limit: int = 200) -> list[int]:
    """The valid ids of a comma-separated list (at most ``limit`` of them); anything else is left out."""
    ids = (id_or_none(part) for part in (value or "").split(",")[:limit])
    return [number for number in ids if number is not None]
