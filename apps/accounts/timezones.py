"""The time zones people may choose, read from the system's tz database once per process.

``zoneinfo.available_timezones()`` walks the tz database's folders on every call, and Django renders each of a
select's ~600 options through a template of its own: the settings page spent most of its 90 ms of CPU on the
zone list. Both are done once here.
"""

import zoneinfo
from functools import cache

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_known(name: str) -> bool:
    return name in timezone_names()


@cache
def zone_or_none(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``, or None for a name the tz database does not know (zones are renamed)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(name for name in timezone_names() if "/" in name or name == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


_SELECTED = SafeString(" selected")  # a constant of our own: nothing from outside is marked safe


class TimezoneSelect(forms.Select):
    """A select of the zones whose options are written in one pass instead of one template each. Attributes
    (id, required, aria-describedby, class) come from Django's own context, as for any select."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        chosen = set(widget["value"])
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((zone, _SELECTED if zone in chosen else "", label) for zone, label in self.choices),
        )
        return format_html('<select name="{}"{}>{}</select>', widget["name"], _attributes(widget["attrs"]), options)


def _attributes(attrs: dict) -> SafeString:
    """Attributes in their own order, as Django's attrs template writes them: True as a bare name, False left out."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(' {}="{}"', k, v) if v is not True else format_html(" {}", k),)
            for k, v in attrs.items()
            if v is not False
        ),
    )
