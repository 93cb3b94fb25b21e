"""The zone select writes exactly what Django's own select writes, in one pass; the zone list is read once."""

import re
import zoneinfo

import pytest
from django import forms

from apps.accounts.timezones import TimezoneSelect, timezone_choices, timezone_known


class _Form(forms.Form):
    ours = forms.ChoiceField(choices=timezone_choices, widget=TimezoneSelect(attrs={"class": "form-select"}))
    djangos = forms.ChoiceField(choices=timezone_choices, widget=forms.Select(attrs={"class": "form-select"}))


@pytest.mark.parametrize("value", ["America/Los_Angeles", "UTC", "", "Nowhere/Atlantis", '"><script>x</script>'])
def test_timezone_select_writes_the_same_markup_as_djangos_select(value):
    # given a bound form (as after a refused save) with any value, and extra attributes as the field partial adds
    form = _Form(data={"ours": value, "djangos": value})
    attrs = {"aria-describedby": "x_helptext", "aria-invalid": "true", "required": True, "disabled": False}
    # when
    ours = form["ours"].as_widget(attrs=attrs)
    djangos = form["djangos"].as_widget(attrs=attrs)
    # then the two differ only in the field's name and id, option for option
    assert ours.replace("ours", "FIELD") == re.sub(r">\s+<", "><", djangos.replace("djangos", "FIELD"))
    assert ours.count("<option") == len(timezone_choices()) > 400
    assert ours.count(" selected") == (1 if timezone_known(value) and value in dict(timezone_choices()) else 0)


def test_timezone_known_is_the_systems_tz_database():
    assert timezone_known("Europe/London") and timezone_known("UTC")
    assert not timezone_known("Nowhere/Atlantis") and not timezone_known("")
    assert {name for name, _ in timezone_choices()} <= zoneinfo.available_timezones()
