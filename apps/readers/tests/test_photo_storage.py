"""Where reader photos live in production: the storage backend (R2 through django-storages), with signed links,
or plain links when the bucket's public/ prefix has a public address; the app then serves no files itself."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
R2 = {
    "R2_BUCKET": "soulseer-files",
    "R2_ENDPOINT_URL": "https://0123456789abcdef.r2.cloudflarestorage.com",
    "R2_ACCESS_KEY_ID": "test-access-key",
    "R2_SECRET_ACCESS_KEY": "test-secret-key",
}
CODE = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.core.files.storage import storages\n"
    "print(type(storages['public']).__name__, settings.SERVE_PUBLIC_MEDIA)\n"
    "print(storages['public'].url('readers/2026/12/selene-144.webp'))\n"
    "print(storages['default'].url('reader-applications/2026/12/selene.png'))\n"
    "print(' '.join(settings.CONTENT_SECURITY_POLICY['img-src']))\n"
)


def _run_settings(**env_overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("R2_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _settings_output(**env_overrides: str) -> list[str]:
    result = _run_settings(**env_overrides)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    "public", [{}, {"R2_PUBLIC_BUCKET": "soulseer-public", "R2_PUBLIC_URL": "https://photos.soulseer.example"}]
)
def test_public_storage_r2_configured_photos_through_storage(public):
    # when
    kind, public_link, private, img_src = _settings_output(**R2, **public)
    # then: both storages are R2; the app serves no files itself
    assert kind == "S3Storage False"
    if public:
        assert public_link == "https://photos.soulseer.example/public/readers/2026/12/selene-144.webp"
    else:
        assert public_link.startswith(f"{R2['R2_ENDPOINT_URL']}/soulseer-files/public/readers/2026/12/selene-144.webp?")
        assert "X-Amz-Signature=" in public_link and "X-Amz-Expires=3600" in public_link
    # private files are always signed, never public
    assert "/soulseer-files/reader-applications/" in private and "X-Amz-Signature=" in private
    # and the pages' Content-Security-Policy lets the photos load from where their links point
    assert R2["R2_ENDPOINT_URL"] in img_src.split()
    if public:
        assert "https://photos.soulseer.example" in img_src.split()


def test_public_storage_local_disk_served_by_the_app():
    # when
    kind, public, _, img_src = _settings_output()
    # then
    assert kind == "PublicFileSystemStorage True"
    assert public == "/media/public/readers/2026/12/selene-144.webp"
    assert "r2.cloudflarestorage.com" not in img_src


@pytest.mark.parametrize("public_bucket", ["", R2["R2_BUCKET"]])
def test_public_storage_public_address_on_private_bucket_refused(public_bucket):
    # when
    result = _run_settings(**R2, R2_PUBLIC_BUCKET=public_bucket, R2_PUBLIC_URL="https://files.soulseer.example")
    # then
    assert result.returncode != 0
    assert "R2_PUBLIC_URL needs R2_PUBLIC_BUCKET, a bucket other than R2_BUCKET." in result.stderr
