"""Fill the benchmark database (and only it) with 10,000 complete, published reader profiles.

Idempotent: does nothing when the readers are already there. Run by bench/directory/run.sh with
DJANGO_SETTINGS_MODULE=bench_settings; never point it at a real database.
"""

import os
import random
import sys
from datetime import timedelta
from decimal import Decimal

import django

READERS = int(os.environ.get("BENCH_READERS", "10000"))
SPECIALTIES = [
    "Tarot",
    "Astrology",
    "Mediumship",
    "Numerology",
    "Dream interpretation",
    "Energy healing",
    "Love and relationships",
    "Career guidance",
    "Palmistry",
    "Runes",
    "Crystal reading",
    "Pet psychic",
]
TOOLS = ["Rider–Waite deck", "Thoth deck", "Oracle cards", "Pendulum", "Crystals", "Runes", "Tea leaves"]
LANGUAGES = ["English", "Spanish", "French", "German", "Portuguese", "Italian"]
FIRST = [
    "Aurora",
    "Selene",
    "Vega",
    "Orion",
    "Luna",
    "Sol",
    "Iris",
    "Nova",
    "Ariel",
    "Celeste",
    "Rowan",
    "Sage",
    "Indigo",
    "Lyra",
    "Phoenix",
    "Ember",
    "Juniper",
    "Willow",
    "Raven",
    "Skye",
]
LAST = [
    "Moon",
    "Starling",
    "Vale",
    "Ashford",
    "Rivers",
    "Blackwood",
    "Hart",
    "Wilde",
    "Frost",
    "Lake",
    "Stone",
    "Marsh",
    "Grey",
    "Bell",
    "Cross",
    "Fairweather",
]
PHRASES = [
    "I read the cards with care and honesty.",
    "Spirit speaks plainly through me.",
    "Twenty years of practice with tarot and astrology.",
    "I help you see the crossroads clearly.",
    "Compassionate, judgment-free guidance for love and career.",
    "My grandmother taught me the runes.",
    "Dreams carry messages; together we decode them.",
    "I connect with loved ones who have passed on.",
]


def main() -> int:
    sys.path.insert(0, os.path.dirname(__file__))
    django.setup()
    from django.utils import timezone

    from apps.accounts.enums import Role
    from apps.accounts.models import User
    from apps.readers.models import Language, ReaderProfile, Specialty, Tool
    from apps.readers.services import reader_search_vector_refresh

    if ReaderProfile.objects.count() >= READERS:
        print(f"seed: {ReaderProfile.objects.count()} readers already present")
        return 0
    rng = random.Random(20261125)  # same data on every machine
    specialties = [
        Specialty.objects.get_or_create(slug=n.lower().replace(" ", "-"), defaults={"name": n})[0] for n in SPECIALTIES
    ]
    tools = [
        Tool.objects.get_or_create(slug=n.lower().replace(" ", "-").replace("–", "-"), defaults={"name": n})[0]
        for n in TOOLS
    ]
    languages = [Language.objects.get_or_create(slug=n.lower(), defaults={"name": n})[0] for n in LANGUAGES]
    start = User.objects.filter(email__startswith="bench-reader-").count()
    now = timezone.now()
    users = User.objects.bulk_create(
        (
            User(email=f"bench-reader-{i}@bench.invalid", display_name="", role=Role.READER)
            for i in range(start, READERS)
        ),
        batch_size=1000,
    )
    profiles = []
    for user in users:
        rate = Decimal(rng.randrange(50, 1500)) / 100
        online = rng.random() < 0.1
        profiles.append(
            ReaderProfile(
                user=user,
                display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                headline=rng.choice(PHRASES),
                bio=" ".join(rng.sample(PHRASES, 4)),
                years_experience=rng.randrange(1, 40),
                photo="readers/bench.png",
                text_rate_amount=rate,
                lowest_rate_amount=rate,
                scheduled_rate_amount=rate,
                rating_average=Decimal(rng.randrange(300, 501)) / 100,
                rating_count=rng.randrange(0, 400),
                presence="online" if online else "offline",
                last_seen_at=now if online else now - timedelta(days=1),
                is_published=True,
            )
        )
    profiles = ReaderProfile.objects.bulk_create(profiles, batch_size=1000)
    links = {
        "specialties": (specialties, "specialty_id", 3),
        "tools": (tools, "tool_id", 2),
        "languages": (languages, "language_id", 2),
    }
    for field, (terms, column, most) in links.items():
        through = getattr(ReaderProfile, field).through
        rows = [
            through(readerprofile_id=p.pk, **{column: term.pk})
            for p in profiles
            for term in rng.sample(terms, rng.randrange(1, most + 1))
        ]
        through.objects.bulk_create(rows, batch_size=5000)
    reader_search_vector_refresh()
    print(f"seed: created {len(profiles)} readers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
