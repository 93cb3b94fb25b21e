"""The stored images registry: each app names its columns of uploaded images, and a forgotten one fails the checks."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.core import stored_images as registry
from apps.core.stored_images import StoredImageField, stored_image_fields, stored_image_register, stored_images_check


@pytest.mark.parametrize(
    "entry",
    [
        StoredImageField(key="Avatars", model="accounts.User", field="avatar"),
        StoredImageField(key="example.things", model="accounts.Nothing", field="avatar"),
        StoredImageField(key="example.things", model="accounts.User", field="nothing"),
        StoredImageField(key="example.things", model="accounts.User", field="avatar", storage="public"),
        StoredImageField(key="example.things", model="community.Attachment", field="storage_key"),
        StoredImageField(key="example.things", model="community.Attachment", field="size_bytes", storage="default"),
        StoredImageField(key="example.things", model="readers.ReaderProfile", field="photo", derived=("nothing",)),
    ],
    ids=["key", "model", "field", "storage-of-a-file-field", "no-storage", "not-a-name", "derived"],
)
def test_stored_image_register_refuses_a_bad_entry(entry):
    with pytest.raises(ImproperlyConfigured):
        stored_image_register(entry)
    assert entry.key not in {registered.key for registered in stored_image_fields()}


def test_stored_image_register_refuses_a_key_twice():
    with pytest.raises(ImproperlyConfigured, match="twice"):
        stored_image_register(StoredImageField(key="accounts.avatars", model="accounts.User", field="avatar"))


def test_every_image_field_is_walked_or_made_from_one_that_is():
    assert stored_images_check() == []


def test_stored_images_check_names_an_image_field_no_entry_covers(monkeypatch):
    # given: the readers' entry forgotten
    kept = {key: entry for key, entry in registry._REGISTRY.items() if key != "readers.photos"}
    monkeypatch.setattr(registry, "_REGISTRY", kept)
    # when
    errors = stored_images_check()
    # then
    assert {error.id for error in errors} == {"core.E012"}
    assert sorted(error.msg.split(" ")[0] for error in errors) == [
        "readers.ReaderProfile.photo",
        "readers.ReaderProfile.photo_large",
        "readers.ReaderProfile.photo_small",
    ]
