"""Writing out a day's open times. A 60-day page holds hundreds of links; rendered node by node in a template
loop (or escaped value by value with ``format_html``) they cost most of the request (measured in bench/slots),
so each day's list is built here in one pass. No queries: the slots arrive computed
(``selectors_slots.slot_page``)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def slot_links(slots: list, confirm_url: str, duration: int) -> SafeString:
    """The ``<li>`` links of ``slots`` (``SlotView``) to the confirm page for ``duration`` minutes.

    Only the URL comes from outside this app and is escaped; every other part is written by ``slot_page`` from
    digits and English day and month names (``param``, ``clock``, ``label``) or is an int (``duration``)."""
    url, minutes = escape(confirm_url), int(duration)
    return mark_safe(  # noqa: S308  # nosec B308 B703: parts escaped or digits and day/month names (see above)
        "".join(
            f'<li><a class="btn btn-secondary btn-sm" data-slot="{slot.param}" '
            f'href="{url}?start={slot.param}&amp;duration={minutes}" '
            f'aria-label="Book {slot.label}, {minutes} minutes">{slot.clock}</a></li>'
            for slot in slots
        )
    )
