from decimal import Decimal

import factory

from apps.accounts.tests.factories import ReaderFactory
from apps.readers.models import Language, ReaderProfile, Specialty, Tool


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Specialty {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class ToolFactory(SpecialtyFactory):
    class Meta:
        model = Tool
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tool {n}")


class LanguageFactory(SpecialtyFactory):
    class Meta:
        model = Language
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Language {n}")


class ReaderProfileFactory(factory.django.DjangoModelFactory):
    """A complete, published profile of an active reader: listed in the directory."""

    class Meta:
        model = ReaderProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(ReaderFactory)
    display_name = factory.Sequence(lambda n: f"Reader {n}")
    headline = "Clear, kind guidance"
    bio = "I have read cards for many years."
    years_experience = 5
    photo = factory.django.ImageField(filename="reader.png", width=8, height=8)
    text_rate_amount = Decimal("2.00")
    lowest_rate_amount = factory.LazyAttribute(lambda o: o.text_rate_amount)
    is_published = True

    @factory.post_generation
    def specialties(self, create, extracted, **kwargs):
        if create:
            self.specialties.set(extracted if extracted is not None else [SpecialtyFactory(name="Tarot")])

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            from apps.readers.services import reader_search_vector_refresh

            reader_search_vector_refresh(reader_ids=[self.pk])
