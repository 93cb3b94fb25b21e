"""A migrated database to copy test databases from, built once per version of the code.

Migrating an empty database runs every app's migrations (about 10 s of CPU here), and each test worker did it for
its own test database at the start of every run. PostgreSQL can instead copy a database (``CREATE DATABASE …
TEMPLATE …``, a file copy of well under a second), and Django creates its test database that way when
``DATABASES[…]["TEST"]["TEMPLATE"]`` names one. So the first run builds ``<name>_migrated_<key>`` by migrating an
empty database in a separate process, and every worker of this run and of later runs copies it.

``<key>`` is a digest of everything a migration can depend on: the project's Python code outside the tests (the
migrations and whatever they import), the settings and the pinned requirements (the installed apps' own
migrations). Any change to them gives a new key, so a new template, built by migrating from empty again. Django
still runs ``migrate`` on the copy (there is nothing left to apply) and its post_migrate receivers, as on a
database it migrated itself. Workers build under one advisory lock: the first builds, the others wait and copy.
Templates of older keys are dropped, the three newest kept (other checkouts on the same server).
"""

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent.parent
# pg_advisory_lock key of the template build (any constant; "soulseer" in ASCII).
LOCK_KEY = 0x736F756C73656572
KEEP_TEMPLATES = 3


def template_key(root: Path = ROOT) -> str:
    """A digest of the files a migrated database depends on (see the module's docstring)."""
    digest = hashlib.sha256()
    files = [*root.glob("apps/**/*.py"), *root.glob("config/**/*.py"), *root.glob("requirements*.txt")]
    for path in sorted(files):
        relative = path.relative_to(root)
        if "tests" in relative.parts:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _url(db: dict, name: str) -> str:
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "127.0.0.1", safe="")  # a socket directory too
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(name, safe='')}"


def _maintenance_connect(db: dict):
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )


def tests_database_exists(db: dict) -> bool:
    """Whether the test database of ``db`` (its ``TEST.NAME``, or Django's ``test_<NAME>``) is on the server."""
    name = (db.get("TEST") or {}).get("NAME") or f"test_{db['NAME']}"
    with _maintenance_connect(db) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def template_ensure(db: dict) -> str:
    """The name of the migrated template for ``db`` (a Django ``DATABASES`` entry), built first if missing."""
    import psycopg
    from psycopg import sql

    base = db["NAME"]
    name = f"{base}_migrated_{template_key()}"
    with _maintenance_connect(db) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                _template_build(conn, db, name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        older = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY oid DESC OFFSET %s",
            [base.replace("_", r"\_") + r"\_migrated\_%", KEEP_TEMPLATES],
        ).fetchall()
        for (old,) in older:
            # One being copied or used by another run is dropped by a later run.
            with contextlib.suppress(psycopg.Error):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))
    return name


def _template_build(conn, db: dict, name: str) -> None:
    """Migrate an empty database in a process of its own (the test process' settings point at the test
    database), then give it the template's name: a build cut short never leaves a half-migrated template."""
    from psycopg import sql

    building = f"{name}_building"
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(building)))
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
    env = {**os.environ, "DATABASE_URL": _url(db, building), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    subprocess.run(  # nosec B603: this interpreter and the project's manage.py
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
    )
    conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(building), sql.Identifier(name)))
