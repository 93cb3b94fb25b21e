"""A new reader on a fresh install, in a real browser: the shipped specialties are there to pick, the photo they
upload shows in the editor (the image, served, not its storage path), and the profile publishes and appears in
the directory with its thumbnail. No admin set-up on the way. axe-core runs on the editor and the directory.
"""

import io

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from apps.accounts.tests.factories import ReaderFactory
from apps.readers.models import ReaderProfile
from tests.e2e.conftest import assert_axe_clean, goto_settled, sign_in_with_session


def _jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (212, 175, 55)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_reader_first_profile_photo_shown_and_published_without_admin_setup(
    live_server, page, settings, tmp_path, starting_taxonomy
):
    # given: a fresh install (only what migrations ship) and a newly approved reader
    settings.MEDIA_ROOT = tmp_path / "media"
    reader = ReaderFactory(email="selene@example.com", display_name="Selene")
    base = live_server.url
    sign_in_with_session(page, base, reader)

    # when: they fill in their profile and upload a photo through the editor
    page.goto(base + reverse("readers:dashboard_profile"))
    page.get_by_label("Headline").fill("Tarot with warmth and honesty")
    page.get_by_label("Bio").fill("Twenty years of reading cards for people at a crossroads.")
    page.get_by_label("Photo").set_input_files(
        files=[{"name": "selene.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_bytes()}]
    )
    page.get_by_role("checkbox", name="Tarot", exact=True).check()
    page.get_by_role("checkbox", name="English", exact=True).check()
    page.get_by_label("Chat rate per minute").fill("2.50")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    # then: the editor shows the uploaded photo itself, loaded from its served URL
    photo = page.locator("img[data-current-photo]")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 320
    assert "readers/" not in page.locator("main").inner_text()  # no storage path on the page
    assert_axe_clean(page)

    # when: they publish
    page.get_by_role("button", name="Publish my profile").click()
    expect(page.get_by_text("Your profile is published")).to_be_visible()

    # then: the directory lists them with their thumbnail
    page.goto(base + reverse("readers:directory"))
    card_photo = page.locator("main img[src*='/media/public/readers/']").first
    expect(card_photo).to_be_visible()
    assert card_photo.evaluate("img => img.complete && img.naturalWidth") == 144
    assert_axe_clean(page)
    assert ReaderProfile.objects.get(user=reader).is_published


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_staff_taxonomy_admin_adds_orders_and_retires_entries(live_server, page, starting_taxonomy):
    # given: an admin with two-factor authentication
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from apps.accounts.tests.factories import AdminFactory
    from apps.readers.models import Specialty

    admin = AdminFactory(email="keeper@example.com")
    TOTP.activate(admin, generate_totp_secret())  # admins must have TOTP; signed in by session cookie below
    base = live_server.url
    sign_in_with_session(page, base, admin)

    # when: from the admin dashboard they open the taxonomy, add an entry, move it up and retire it
    goto_settled(page, base + reverse("dashboards:admin"))
    page.get_by_role("link", name="Specialties, tools and languages").click()
    expect(page.get_by_role("heading", name="Specialties", level=1)).to_be_visible()
    assert_axe_clean(page)
    page.get_by_label("Name of the new entry").fill("Akashic records")
    page.get_by_role("button", name="Add to specialties").click()
    expect(page.get_by_text("“Akashic records” is added at the end of the list.")).to_be_visible()
    page.get_by_role("button", name="Move “Akashic records” up").click()
    expect(page.get_by_text("“Akashic records” is moved up.")).to_be_visible()
    page.get_by_role("button", name="Retire “Akashic records”").click()
    expect(page.get_by_text("“Akashic records” is retired.")).to_be_visible()
    assert_axe_clean(page)

    # then
    term = Specialty.objects.get(name="Akashic records")
    assert term.is_retired
    assert list(Specialty.objects.all())[-2] == term
