"""`make run`'s start-up path without DATABASE_URL (scripts/serve.py): the embedded PostgreSQL under a fresh
var/, the migrations, the web server and worker; a whole paid reading bills and settles on it with a clean
ledger check; SIGTERM stops the server and then the cluster. And the code keeps one path, PostgreSQL's."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

READING = """
from datetime import timedelta
from decimal import Decimal
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from apps.readings.services import session_end, session_finalize
from apps.readings.tests.helpers import both_present, start_reading, wallet_balance
from apps.wallet.models import Account

print("server", connection.cursor().connection.info.parameter_status("server_version"))
start = timezone.now() - timedelta(minutes=10)
session, client, reader = start_reading(rate=Decimal("2.00"), funds=Decimal("10.00"), at=start)
both_present(session, client, reader, start=start, until=130)
session_end(actor=client, session_id=session.pk, now=start + timedelta(seconds=135))
session_finalize(session_id=session.pk, now=start + timedelta(seconds=136))
session.refresh_from_db()
print("state", session.state, "minutes", session.minutes_billed)
print("wallet", wallet_balance(client))
print("earnings", Account.objects.get(code=f"earnings:{reader.pk}").balance)
call_command("ledger_check")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_for_health(url: str, server: subprocess.Popen, output: list[str], timeout: float) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "serve.py exited:\n" + "".join(output)[-4000:]
        try:
            status, body = _get(url)
        except OSError:
            time.sleep(0.1)
            continue
        if status == 200:
            return status, body
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {timeout} s:\n" + "".join(output)[-4000:])


@pytest.mark.slow
def test_serve_without_database_url_runs_a_paid_reading_on_an_embedded_postgresql():
    # given: a fresh var/, no DATABASE_URL and no Redis (as on a new machine)
    (ROOT / "var").mkdir(exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="embedded-test-", dir=ROOT / "var"))
    env = {**os.environ, "DATABASE_URL": "", "REDIS_URL": "", "SOULSEER_VAR_DIR": str(var)}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", EMAIL_URL="consolemail://", PYTHONUNBUFFERED="1")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "scripts/serve.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    migrated, worker_ready = threading.Event(), threading.Event()

    def collect() -> None:
        for line in server.stdout:
            output.append(line)
            if "SoulSeer is running" in line:
                migrated.set()
            if re.search(r"celery@\S+ ready\.", line):
                worker_ready.set()
        migrated.set()
        worker_ready.set()

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    reading: subprocess.Popen[str] | None = None
    try:
        # when: make run's start-up path serves, and a reading of 2 min 15 s at $2.00/min runs on its database
        # (from the moment the migrations are done, while the web server and the worker start)
        migrated.wait(timeout=400)
        assert any("SoulSeer is running" in line for line in output), (
            "serve.py did not serve:\n" + "".join(output)[-4000:]
        )
        url = next(re.search(r"postgres://\S+", line).group(0) for line in output if "Embedded PostgreSQL" in line)
        reading = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", READING],
            cwd=ROOT,
            env={**env, "DATABASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        status, body = _wait_for_health(f"http://127.0.0.1:{port}/healthz", server, output, timeout=400)
        home_status, _ = _get(f"http://127.0.0.1:{port}/")
        reading_out, reading_err = reading.communicate(timeout=300)
        reading_returncode = reading.returncode
        # (the worker has set up its own SIGTERM handling by the time it says it is ready)
        worker_ready.wait(timeout=400)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=90)
        reader.join(timeout=10)
    finally:
        for process in (reading, server):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    try:
        # then: served from the embedded PostgreSQL 18 on the loopback interface
        assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok"}
        assert home_status == 200
        assert url.startswith("postgres://postgres:") and "@127.0.0.1:" in url
        # then: three started minutes billed and settled 70/30, and the ledger check is clean
        assert reading_returncode == 0, reading_out[-2000:] + reading_err[-3000:]
        out = reading_out
        assert "server 18." in out
        assert "state finalized minutes 3" in out
        assert "wallet 4.00" in out
        assert "earnings 4.20" in out
        assert "Ledger check: OK" in out
        # then: SIGTERM stopped the web server, the worker and the cluster
        assert server.returncode == 0, "".join(output)[-4000:]
        assert "Embedded PostgreSQL stopped." in "".join(output)
        assert not (var / "postgres" / "postmaster.pid").exists()
    finally:
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture(scope="module")
def embedded_db():
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.syspath_prepend(str(ROOT / "scripts"))
        import embedded_db

        yield embedded_db


@pytest.fixture(scope="module")
def created_cluster(embedded_db):
    """A fresh var/ whose cluster was created (by a first start) and is stopped: one initdb, about a second of
    CPU and several of waiting, shared by the tests below, which each start it from there."""
    (ROOT / "var").mkdir(exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="embedded-test-", dir=ROOT / "var"))
    creator = embedded_db.EmbeddedPostgres(var)
    try:
        creator.start()
        creator.stop()
        yield var
    finally:
        creator.started = True
        creator.stop()
        shutil.rmtree(var, ignore_errors=True)


def test_embedded_postgres_start_reuses_a_running_cluster_and_stops_only_what_it_started_or_adopted(
    embedded_db, created_cluster
):
    # given: a cluster created in a fresh var/, and started
    var = created_cluster
    first = embedded_db.EmbeddedPostgres(var)
    try:
        url = first.start()
        # when: a one-off command uses it, then `make run` adopts it
        one_off = embedded_db.EmbeddedPostgres(var)
        one_off_url = one_off.start()
        one_off.stop()
        still_running = bool(first._running_port())
        run = embedded_db.EmbeddedPostgres(var)
        run.start(adopt=True)
        run.stop()
        first.stop()
        # then: the one-off command shared the cluster and left it running; `make run` stopped it
        assert one_off_url == url and still_running
        assert not first._running_port()
        assert not (var / "postgres" / "postmaster.pid").exists()
    finally:
        first.started = True
        first.stop()


def test_embedded_postgres_listens_on_loopback_only_and_wants_the_password(embedded_db, created_cluster):
    # given: a cluster created in a fresh var/
    import psycopg

    var = created_cluster
    server = embedded_db.EmbeddedPostgres(var)
    try:
        url = server.start()
        # when
        with psycopg.connect(url) as conn:
            settings = conn.execute(
                "SELECT current_setting('listen_addresses'), current_setting('unix_socket_directories'),"
                " current_setting('server_version_num')::int"
            ).fetchone()
        wrong = url.replace(url.split(":")[2].split("@")[0], "wrong-password")
        # then
        assert settings[:2] == ("127.0.0.1", "") and settings[2] >= 180000
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(wrong)
        assert (var / "postgres").stat().st_mode & 0o777 == 0o700
        assert (var / "postgres.password").stat().st_mode & 0o777 == 0o600
    finally:
        server.stop()


def test_apps_have_no_database_vendor_branch():
    # given: every Python file of the apps, migrations included
    sources = sorted((ROOT / "apps").rglob("*.py"))
    # when
    branches = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "connection.vendor" in line
    ]
    # then: one code path per use case, PostgreSQL's
    assert sources
    assert branches == []
