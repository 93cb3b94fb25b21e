"""Staff diagnostics pages and the room partial (available and not configured)."""

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory
from apps.rtc.channels import channel_name_for
from apps.rtc.diagnostics import DIAGNOSTICS_USE
from apps.rtc.models import RtcTokenGrant

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Voice and video need Agora to be configured on this server; text readings keep working."


def test_staff_status_non_admin_gets_404(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("staff_rtc:status")).status_code == 404
    assert client.get(reverse("staff_rtc:test-room"), {"label": "a", "modality": "video"}).status_code == 404


def test_staff_status_admin_without_mfa_redirected(client):
    admin = AdminFactory()
    client.force_login(admin)
    response = client.get(reverse("staff_rtc:status"))
    assert response.status_code == 302


def test_staff_status_not_configured_says_so(admin_client, agora_off):
    response = admin_client.get(reverse("staff_rtc:status"))
    assert response.status_code == 200
    assert "Agora is not configured" in response.content.decode()


def test_staff_status_configured_shows_hint_never_secret(admin_client, agora):
    response = admin_client.get(reverse("staff_rtc:status"))
    html = response.content.decode()
    assert "Agora is configured" in html
    assert "970C…1b33" in html
    assert agora.AGORA_APP_CERTIFICATE not in html


def test_staff_test_room_not_configured_shows_unavailable_state(admin_client, agora_off):
    # when
    response = admin_client.get(reverse("staff_rtc:test-room"), {"label": "desk", "modality": "video"})
    # then
    html = response.content.decode()
    assert UNAVAILABLE in html
    assert 'data-rtc-enabled="false"' in html
    assert "agora-rtc.js" not in html
    assert "data-token-url" not in html


def test_staff_test_room_configured_renders_room_with_bundled_sdk(admin_client, agora):
    # when
    response = admin_client.get(reverse("staff_rtc:test-room"), {"label": "desk", "modality": "voice"})
    # then
    html = response.content.decode()
    assert 'data-rtc-enabled="true"' in html
    assert 'data-token-url="/api/v1/rtc/token/"' in html
    assert 'data-object-id="voice-desk"' in html
    assert 'data-modality="voice"' in html
    assert "/static/build/vendor/agora-rtc.js" in html
    assert "/static/js/rtc/room.js" in html
    assert "data-rtc-camera" not in html  # voice rooms offer no camera controls
    assert 'aria-pressed="false"' in html


def test_staff_test_room_bad_label_400(admin_client, agora):
    response = admin_client.get(reverse("staff_rtc:test-room"), {"label": "no spaces!", "modality": "video"})
    assert response.status_code == 400


def test_diagnostics_token_for_admin_with_mfa(admin_client, admin_user, agora):
    # when
    response = admin_client.post(
        "/api/v1/rtc/token/", {"use": DIAGNOSTICS_USE, "object_id": "video-desk"}, content_type="application/json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["channel"] == channel_name_for("diag", "video-desk")
    assert response.json()["role"] == "publisher"


def test_diagnostics_token_for_client_404(client, client_user, agora):
    client.force_login(client_user)
    response = client.post(
        "/api/v1/rtc/token/", {"use": DIAGNOSTICS_USE, "object_id": "video-desk"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not RtcTokenGrant.objects.exists()


def test_diagnostics_token_for_admin_without_mfa_404(client, agora):
    client.force_login(AdminFactory())
    response = client.post(
        "/api/v1/rtc/token/", {"use": DIAGNOSTICS_USE, "object_id": "video-desk"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_diagnostics_token_overlong_room_name_404(admin_client, agora):
    response = admin_client.post(
        "/api/v1/rtc/token/",
        {"use": DIAGNOSTICS_USE, "object_id": "video-" + "x" * 50},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not RtcTokenGrant.objects.exists()
