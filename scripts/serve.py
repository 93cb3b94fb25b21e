"""Serve the whole platform in one terminal: the web server plus a Celery worker with the beat scheduler.

Used by `make run`. Without DATABASE_URL (in the environment or `.env`) it first starts the embedded
PostgreSQL under var/ (scripts/embedded_db.py; for trying the platform, not for production). Then it applies
the migrations, creates the first admin if SOULSEER_ADMIN_* ask for one, and serves. Ctrl-C, SIGTERM or
SIGHUP, or one child exiting, stops every child and then the embedded PostgreSQL.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT / "scripts"))

from embedded_db import EmbeddedPostgres, database_url_configured  # noqa: E402


class Stopped(Exception):
    """SIGTERM or SIGINT arrived before the server was up."""


def _raise_stopped(*_: Any) -> None:
    raise Stopped()


# `manage.py migrate --noinput` (its system checks included) and then `manage.py ensure_admin`, in one
# interpreter: Django and the apps load once instead of once per command (about 2 s of CPU each). A command
# error ends it as manage.py would, with the message and status 1. Once both are done it closes its database
# connections and leaves without the interpreter's teardown of every module (half a second before serving).
PREPARE = """
import os
import sys

import django
from django.core.management import CommandError, call_command
from django.db import connections

django.setup()
try:
    call_command("migrate", interactive=False, skip_checks=False)
    call_command("ensure_admin")
except CommandError as error:
    sys.exit(f"{type(error).__name__}: {error}")
connections.close_all()
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
"""


def _prepare(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "-c", PREPARE], cwd=ROOT, env=env, check=True)  # noqa: S603


def _serve(host: str, port: str, env: dict[str, str]) -> int:
    commands = {
        # The system checks ran with the migrations a moment ago, on the same code and settings.
        "web": [PYTHON, "manage.py", "runserver", f"{host}:{port}", "--noreload", "--skip-checks"],
        # -B embeds the beat scheduler; one worker process is plenty on one machine.
        "worker": [PYTHON, "-m", "celery", "-A", "config", "worker", "-B", "--loglevel=INFO", "--concurrency=1"],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}  # noqa: S603
    print(f"SoulSeer is running at http://{host}:{port}/ (web, worker and scheduler). Ctrl-C stops it.", flush=True)

    def stop(*_: object) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    try:
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
    finally:
        stop()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return max((child.returncode or 0) for child in children.values())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()
    embedded = not database_url_configured()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev")}

    # Closing the terminal (SIGHUP) stops everything too, the embedded PostgreSQL included.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stopped)
    database = None
    try:
        if embedded:
            database = EmbeddedPostgres()
            env["DATABASE_URL"] = database.start(adopt=True)
            print(
                f"Embedded PostgreSQL in {database.data}, for trying the platform (not for production): "
                f"{env['DATABASE_URL']}",
                flush=True,
            )
        _prepare(env)
        return _serve(args.host, args.port, env)
    except Stopped:
        return 0
    except subprocess.CalledProcessError as error:
        return error.returncode or 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if database is not None:
            database.stop()
            print("Embedded PostgreSQL stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
