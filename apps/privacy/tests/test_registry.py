import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.core import privacy as registry
from apps.core.privacy import PersonalData, personal_data_check, personal_data_entries, personal_data_register


def _export(user):
    return {}


def _erase(user):
    return None


@pytest.mark.parametrize(
    "entry",
    [
        PersonalData(key="Shop", export=_export, erase=_erase),
        PersonalData(key="shop.orders", export=_export, erase="not callable"),  # type: ignore[arg-type]
        PersonalData(key="shop.orders", export=lambda: {}, erase=_erase),
        PersonalData(key="shop.orders", export=_export, erase=_erase, models=("no-dot",)),
    ],
)
def test_personal_data_register_refuses_a_bad_entry(entry):
    with pytest.raises(ImproperlyConfigured):
        personal_data_register(entry)
    assert entry.key not in {registered.key for registered in personal_data_entries()} or entry.key == "Shop"


def test_personal_data_register_refuses_a_key_twice():
    with pytest.raises(ImproperlyConfigured, match="twice"):
        personal_data_register(PersonalData(key="accounts.profile", export=_export, erase=_erase))


def test_every_model_that_points_at_a_user_is_covered():
    assert personal_data_check() == []


def test_personal_data_check_names_a_model_no_entry_covers(monkeypatch):
    # given: the messaging entry forgotten
    kept = {key: entry for key, entry in registry._REGISTRY.items() if key != "messaging.conversations"}
    monkeypatch.setattr(registry, "_REGISTRY", kept)
    # when
    errors = personal_data_check()
    # then
    assert {error.id for error in errors} == {"core.E010"}
    assert {error.obj._meta.label for error in errors} == {
        "messaging.Conversation",
        "messaging.Message",
        "messaging.EmailBatch",
    }
