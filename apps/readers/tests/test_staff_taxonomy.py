"""The staff taxonomy pages: admins only (others get 404), bad input refused with a clear error, audited."""

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.core.models import AuditLog
from apps.readers.models import Specialty, Tool

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("starting_taxonomy")]


@pytest.mark.parametrize("role_factory", [UserFactory, ReaderFactory])
def test_staff_taxonomy_other_roles_get_404_and_nothing_changes(client, role_factory):
    # given
    client.force_login(role_factory())
    tarot = Specialty.objects.get(slug="tarot")
    # when
    listing = client.get(reverse("staff_readers:taxonomy", args=["specialties"]))
    added = client.post(reverse("staff_readers:taxonomy", args=["specialties"]), {"new-name": "Bones"})
    retired = client.post(reverse("staff_readers:taxonomy_term", args=["specialties", tarot.pk]), {"action": "retire"})
    # then
    assert (listing.status_code, added.status_code, retired.status_code) == (404, 404, 404)
    assert not Specialty.objects.filter(name="Bones").exists()
    assert not Specialty.objects.get(pk=tarot.pk).is_retired
    assert not AuditLog.objects.exists()


def test_staff_taxonomy_signed_out_sent_to_sign_in(client):
    # when
    response = client.get(reverse("staff_readers:taxonomy", args=["tools"]))
    # then
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_staff_taxonomy_admin_sees_list_in_order(admin_client):
    # when
    response = admin_client.get(reverse("staff_readers:taxonomy", args=["specialties"]))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Tarot") < body.index("Astrology") < body.index("Mediumship")


def test_staff_taxonomy_unknown_list_404(admin_client):
    # when
    response = admin_client.get("/staff/readers/taxonomy/colours/")
    # then
    assert response.status_code == 404


def test_staff_taxonomy_add_creates_and_audits(admin_client, admin_user):
    # when
    response = admin_client.post(reverse("staff_readers:taxonomy", args=["tools"]), {"new-name": "Bones and charms"})
    # then
    assert response.status_code == 302
    assert Tool.objects.filter(name="Bones and charms", is_retired=False).exists()
    assert AuditLog.objects.get(action="readers.tools_created").actor == admin_user
    page = admin_client.get(response["Location"])
    assert "“Bones and charms” is added at the end of the list." in page.content.decode()


@pytest.mark.parametrize(
    ("name", "message"), [("", "This field is required."), ("Runes", "“Runes” is already in the list.")]
)
def test_staff_taxonomy_add_bad_name_refused_with_error(admin_client, name, message):
    # given
    before = Tool.objects.count()
    # when
    response = admin_client.post(reverse("staff_readers:taxonomy", args=["tools"]), {"new-name": name})
    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Tool.objects.count() == before
    assert not AuditLog.objects.exists()


def test_staff_taxonomy_rename_duplicate_refused_with_error(admin_client):
    # given
    tarot = Specialty.objects.get(slug="tarot")
    # when
    response = admin_client.post(
        reverse("staff_readers:taxonomy_term", args=["specialties", tarot.pk]),
        {"action": "rename", "name": "astrology"},
    )
    # then
    assert response.status_code == 400
    assert "“astrology” is already in the list." in response.content.decode()
    assert Specialty.objects.get(pk=tarot.pk).name == "Tarot"


def test_staff_taxonomy_retire_and_move_audited(admin_client):
    # given
    tarot = Specialty.objects.get(slug="tarot")
    url = reverse("staff_readers:taxonomy_term", args=["specialties", tarot.pk])
    # when
    retired = admin_client.post(url, {"action": "retire"})
    moved = admin_client.post(url, {"action": "down"})
    # then
    assert (retired.status_code, moved.status_code) == (302, 302)
    tarot.refresh_from_db()
    assert tarot.is_retired
    assert list(Specialty.objects.all()[:2])[1] == tarot
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert actions == {"readers.specialties_retired", "readers.specialties_moved"}


def test_staff_taxonomy_unknown_action_refused(admin_client):
    # given
    tarot = Specialty.objects.get(slug="tarot")
    # when
    response = admin_client.post(
        reverse("staff_readers:taxonomy_term", args=["specialties", tarot.pk]), {"action": "delete"}
    )
    # then
    assert response.status_code == 400
    assert Specialty.objects.filter(pk=tarot.pk).exists()


def test_staff_taxonomy_unknown_term_404(admin_client):
    # given: an id that is a specialty but no tool
    astrology = Specialty.objects.get(slug="astrology")
    Tool.objects.filter(pk=astrology.pk).delete()
    # when
    response = admin_client.post(
        reverse("staff_readers:taxonomy_term", args=["tools", astrology.pk]), {"action": "retire"}
    )
    # then
    assert response.status_code == 404
    assert not Specialty.objects.get(pk=astrology.pk).is_retired
    assert not AuditLog.objects.exists()
