"""The starting taxonomy (a data migration) and the admin services that add, rename, order and retire terms."""

from decimal import Decimal

import pytest

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, image_upload
from apps.core.exceptions import PermissionDeniedError
from apps.core.models import AuditLog
from apps.readers.exceptions import TaxonomyTermInvalid
from apps.readers.forms import ReaderProfileForm
from apps.readers.models import Language, ReaderProfile, Specialty, Tool
from apps.readers.selectors import (
    DirectoryQuery,
    reader_directory_list,
    reader_listed_list,
    taxonomy_choices,
    taxonomy_picker_list,
)
from apps.readers.services import (
    reader_profile_publish,
    reader_profile_update,
    taxonomy_term_create,
    taxonomy_term_move,
    taxonomy_term_rename,
    taxonomy_term_retire,
)

from .factories import ReaderProfileFactory, SpecialtyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("starting_taxonomy")]


def test_starting_taxonomy_migration_applied():
    # given
    from django.db.migrations.recorder import MigrationRecorder

    # when
    applied = MigrationRecorder.Migration.objects.filter(app="readers", name="0004_starting_taxonomy")
    # then
    assert applied.exists()


def test_starting_taxonomy_fresh_database_lists_real_terms():
    # given: what the migration ships
    # when
    specialties = set(Specialty.objects.values_list("name", flat=True))
    tools = set(Tool.objects.values_list("name", flat=True))
    languages = list(Language.objects.values_list("name", flat=True))
    # then
    assert {"Tarot", "Astrology", "Mediumship", "Clairvoyance", "Numerology", "Dream interpretation"} <= specialties
    assert {"Tarot cards", "Oracle cards", "Runes", "Pendulum", "Crystals"} <= tools
    assert languages[0] == "English" and {"Spanish", "French", "Hindi"} <= set(languages)
    assert not Specialty.objects.filter(is_retired=True).exists()


def test_reader_profile_publish_fresh_database_without_admin_setup_listed():
    # given: a new reader on a database where no admin created anything
    reader = ReaderFactory(display_name="Selene")
    form = ReaderProfileForm()
    tarot = form.fields["specialties"].queryset.get(name="Tarot")
    deck = form.fields["tools"].queryset.get(name="Tarot cards")
    english = form.fields["languages"].queryset.get(name="English")
    # when
    reader_profile_update(
        actor=reader,
        data={"headline": "Tarot with warmth", "bio": "Twenty years of cards.", "text_rate_amount": Decimal("2.50")},
        photo=image_upload("selene.png"),
        specialties=[tarot],
        tools=[deck],
        languages=[english],
    )
    reader_profile_publish(actor=reader, publish=True)
    # then
    profile = reader_listed_list().get()
    assert profile.user == reader
    assert list(reader_directory_list(query=DirectoryQuery(specialty="tarot"))) == [profile]


def test_taxonomy_term_create_admin_appends_and_audits():
    # given
    admin = AdminFactory()
    last = Specialty.objects.order_by("-position").first()
    # when
    term = taxonomy_term_create(actor=admin, kind="specialties", name="  Akashic   records ")
    # then
    assert term.name == "Akashic records" and term.slug == "akashic-records"
    assert term.position > last.position
    assert list(Specialty.objects.all())[-1] == term
    log = AuditLog.objects.get(action="readers.specialties_created")
    assert log.actor == admin and log.details == {"name": "Akashic records"}


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "A name is 2 to 60 characters long."), ("tarot", "“tarot” is already in the list."), ("!!", "letter")],
)
def test_taxonomy_term_create_bad_name_refused(name, message):
    # given
    admin = AdminFactory()
    before = Specialty.objects.count()
    # when / then
    with pytest.raises(TaxonomyTermInvalid, match=message):
        taxonomy_term_create(actor=admin, kind="specialties", name=name)
    assert Specialty.objects.count() == before
    assert not AuditLog.objects.exists()


def test_taxonomy_term_create_reader_refused():
    # given
    reader = ReaderFactory()
    # when / then
    with pytest.raises(PermissionDeniedError):
        taxonomy_term_create(actor=reader, kind="tools", name="Bones")
    assert not Tool.objects.filter(name="Bones").exists()


def test_taxonomy_term_rename_keeps_slug_and_search_finds_new_name():
    # given
    admin = AdminFactory()
    profile = ReaderProfileFactory(specialties=[Specialty.objects.get(slug="palmistry")])
    term = Specialty.objects.get(slug="palmistry")
    # when
    taxonomy_term_rename(actor=admin, kind="specialties", term_id=term.pk, name="Palm reading")
    # then
    term.refresh_from_db()
    assert (term.name, term.slug) == ("Palm reading", "palmistry")
    assert list(reader_directory_list(query=DirectoryQuery(q="palm reading"))) == [profile]
    log = AuditLog.objects.get(action="readers.specialties_renamed")
    assert log.details == {"before": "Palmistry", "after": "Palm reading"}


def test_taxonomy_term_move_up_swaps_with_previous_and_audits():
    # given
    admin = AdminFactory()
    first, second = list(Tool.objects.all()[:2])
    # when
    taxonomy_term_move(actor=admin, kind="tools", term_id=second.pk, direction="up")
    # then
    assert list(Tool.objects.all()[:2]) == [second, first]
    assert AuditLog.objects.get(action="readers.tools_moved").details["place"] == 1


def test_taxonomy_term_move_first_up_refused():
    # given
    admin = AdminFactory()
    first = Language.objects.first()
    # when / then
    with pytest.raises(TaxonomyTermInvalid, match="already first"):
        taxonomy_term_move(actor=admin, kind="languages", term_id=first.pk, direction="up")
    assert Language.objects.first() == first


def test_taxonomy_term_retire_hidden_from_pickers_kept_on_profiles():
    # given
    admin = AdminFactory()
    runes = SpecialtyFactory(name="Runes")
    profile = ReaderProfileFactory(specialties=[runes])
    # when
    taxonomy_term_retire(actor=admin, kind="specialties", term_id=runes.pk, retired=True)
    # then: not offered to new readers nor in the directory filters...
    assert runes not in taxonomy_picker_list(Specialty)
    assert ("runes", "Runes") not in taxonomy_choices()["specialty"]
    # ...but the reader who uses it keeps it, in their editor and on their listed profile
    assert runes in ReaderProfileForm(instance=profile).fields["specialties"].queryset
    assert list(ReaderProfile.objects.get(pk=profile.pk).specialties.all()) == [runes]
    assert reader_listed_list().filter(pk=profile.pk).exists()
    assert AuditLog.objects.get(action="readers.specialties_retired").details == {"name": "Runes", "readers": 1}


def test_taxonomy_term_retire_restore_offered_again():
    # given
    admin = AdminFactory()
    pendulum = Tool.objects.get(slug="pendulum")
    taxonomy_term_retire(actor=admin, kind="tools", term_id=pendulum.pk, retired=True)
    # when
    taxonomy_term_retire(actor=admin, kind="tools", term_id=pendulum.pk, retired=False)
    # then
    assert pendulum in taxonomy_picker_list(Tool)
    assert AuditLog.objects.filter(action="readers.tools_restored").count() == 1
