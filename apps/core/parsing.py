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


def json_contains_nul(value: Any) -> bool:
    """Whether a parsed JSON value holds a NUL character in any key or string: PostgreSQL's text and jsonb cannot
    store one, so such a value ends in a database error unless it is refused first."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
