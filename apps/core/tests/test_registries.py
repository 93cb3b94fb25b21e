import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.core.registries import registry_add, registry_key_check


@pytest.mark.parametrize("key", ["shop.orders", "community.forum_posts", "a1.b"])
def test_registry_key_check_accepts_app_dot_kind(key):
    registry_key_check(key, what="Thing")


@pytest.mark.parametrize("key", ["Shop.orders", "shop", "shop.", ".orders", "shop.orders.x", "shop-x.y", 7, None])
def test_registry_key_check_refuses_anything_else_naming_the_registry(key):
    with pytest.raises(ImproperlyConfigured, match=r"^Thing key .* must look like 'app.kind'"):
        registry_key_check(key, what="Thing")


def test_registry_add_keeps_one_entry_per_key():
    # given
    registry: dict[str, object] = {}
    first = object()
    # when
    assert registry_add(registry, "shop.orders", first, what="Thing") is first
    # then: a second entry under the key is refused and the first stays
    with pytest.raises(ImproperlyConfigured, match=r"^Thing 'shop.orders' is registered twice\.$"):
        registry_add(registry, "shop.orders", object(), what="Thing")
    assert registry == {"shop.orders": first}
