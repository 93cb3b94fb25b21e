"""The gift catalog a new site starts with; admins change it at /staff/live/gifts/."""

from decimal import Decimal

from django.db import migrations

STARTING_GIFTS = [
    ("Shooting star", Decimal("1.00"), "star", 10),
    ("Rose", Decimal("2.00"), "rose", 20),
    ("Full moon", Decimal("5.00"), "moon", 30),
    ("Crystal", Decimal("10.00"), "crystal", 40),
    ("Comet shower", Decimal("25.00"), "comet", 50),
]


def add_gifts(apps, schema_editor):
    GiftKind = apps.get_model("live", "GiftKind")
    for name, price, animation, position in STARTING_GIFTS:
        GiftKind.objects.get_or_create(
            name=name, defaults={"price_amount": price, "animation": animation, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("live", "0001_initial")]

    operations = [migrations.RunPython(add_gifts, migrations.RunPython.noop)]
