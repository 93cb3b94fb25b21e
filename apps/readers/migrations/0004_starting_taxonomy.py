"""The platform's starting taxonomy: the specialties, tools and languages readers choose from.

These are the terms spiritual-reading platforms list, so a reader can complete and publish a profile on a fresh
install. Admins add, rename, reorder and retire terms on the staff taxonomy pages afterwards. A term that
already exists (same slug or same name, in any letter case) is left as it is, so running this on a database
where admins already created terms changes nothing of theirs.
"""

from django.db import migrations
from django.utils.text import slugify

SPECIALTIES = [
    "Tarot",
    "Astrology",
    "Mediumship",
    "Clairvoyance",
    "Psychic readings",
    "Love and relationships",
    "Career and finances",
    "Life path and purpose",
    "Family and friendships",
    "Grief and loss",
    "Dream interpretation",
    "Numerology",
    "Angel readings",
    "Spirit guides",
    "Past lives",
    "Energy healing",
    "Aura reading",
    "Chakra balancing",
    "Palmistry",
    "Empath readings",
    "Pet psychic",
]

TOOLS = [
    "Tarot cards",
    "Oracle cards",
    "Angel cards",
    "Lenormand cards",
    "Playing cards",
    "Astrology charts",
    "Numerology charts",
    "Runes",
    "Pendulum",
    "Crystals",
    "Crystal ball",
    "I Ching",
    "Tea leaves",
    "Automatic writing",
    "No tools (pure intuition)",
]

LANGUAGES = [
    "English",
    "Spanish",
    "French",
    "German",
    "Portuguese",
    "Italian",
    "Dutch",
    "Polish",
    "Romanian",
    "Greek",
    "Swedish",
    "Russian",
    "Ukrainian",
    "Turkish",
    "Arabic",
    "Hebrew",
    "Persian",
    "Hindi",
    "Urdu",
    "Bengali",
    "Punjabi",
    "Tamil",
    "Mandarin Chinese",
    "Cantonese",
    "Japanese",
    "Korean",
    "Vietnamese",
    "Thai",
    "Tagalog",
    "Indonesian",
    "Haitian Creole",
]


def add_starting_taxonomy(apps, schema_editor):
    for model_name, names in (("Specialty", SPECIALTIES), ("Tool", TOOLS), ("Language", LANGUAGES)):
        model = apps.get_model("readers", model_name)
        for index, name in enumerate(names, start=1):
            slug = slugify(name)
            if model.objects.filter(slug=slug).exists() or model.objects.filter(name__iexact=name).exists():
                continue
            model.objects.create(name=name, slug=slug, position=index * 10)


class Migration(migrations.Migration):
    dependencies = [("readers", "0003_taxonomy_position_retired")]

    # Reversing keeps the terms: readers may already use them.
    operations = [migrations.RunPython(add_starting_taxonomy, migrations.RunPython.noop)]
