"""Fixtures shared by every app's tests, and how a transactional test's database is emptied afterwards."""

import gc

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction
from django.test import TransactionTestCase

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory
from apps.readers import cache as directory_cache

# A real S3 server (SeaweedFS) for tests of files on R2: the ``s3_server`` and ``s3_storage`` fixtures.
pytest_plugins = ["tests.support.s3", "tests.support.browser"]

# Filled by post_migrate from the installed models and kept right by it after every test; no test writes them.
KEPT_TABLES = frozenset({"django_content_type", "auth_permission"})
_flush_with_truncate = TransactionTestCase._fixture_teardown


def _empty_tables(connection) -> bool:
    """Delete every row of the tables that have any, in one transaction, without triggers or foreign key checks
    (every table ends empty, as after TRUNCATE). Returns False when the database refuses (PostgreSQL only
    lets a superuser switch triggers off); the caller then flushes the usual way."""
    if connection.vendor != "postgresql":
        return False
    quote = connection.ops.quote_name
    tables = [
        table
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False)
        if table not in KEPT_TABLES
    ]
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                " UNION ALL ".join(f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})" for table in tables),
                tables,
            )
            for (table,) in cursor.fetchall():
                cursor.execute(f"DELETE FROM {quote(table)}")
    except DatabaseError:
        return False
    return True


def _app_post_migrate(db_name: str) -> None:
    """What post_migrate does after Django's flush, less what the kept tables already hold: the receivers an app
    connected for itself (the sites framework's default site) run for their app. The receivers every app calls
    (content types and permissions, about 50 ms for all apps) would only find their rows in ``KEPT_TABLES``."""
    from django.apps import apps as global_apps
    from django.db.models.signals import post_migrate

    every_app = set(post_migrate._live_receivers(None)[0])
    for app_config in global_apps.get_app_configs():
        for receiver in post_migrate._live_receivers(app_config)[0]:
            if receiver not in every_app:
                receiver(
                    sender=app_config,
                    app_config=app_config,
                    verbosity=0,
                    interactive=False,
                    using=db_name,
                    apps=global_apps,
                    plan=None,
                    signal=post_migrate,
                )


def _fixture_teardown(self):
    """TransactionTestCase's flush without TRUNCATE: after a test only a few small tables hold rows, and
    deleting them costs milliseconds where truncating every table (new files for each table and index) costs
    seconds. The apps' own post_migrate receivers still run, as after Django's flush."""
    for db_name in self._databases_names(include_mirrors=False):
        if self.available_apps is not None or self.serialized_rollback or not _empty_tables(connections[db_name]):
            _flush_with_truncate(self)
            return
        _app_post_migrate(db_name)


TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    """The collector of reference cycles runs less often: after every 700 new objects by default, which in a test
    process holding Django, Playwright and thousands of tests means scanning a large young generation again and
    again (7–14% of the CPU of a run of unit tests). What is loaded by now (Django, the settings, the plugins) is
    moved out of its reach for good."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, django_db_keepdb: bool, django_db_createdb: bool
) -> None:
    """Test databases are copies of a migrated template, built once per version of the code
    (``tests/support/db_template.py``) instead of migrated by every worker at every run. A run that reuses its
    existing test database (``--reuse-db`` without ``--create-db``) copies nothing, so it builds no template."""
    from django.conf import settings

    from tests.support.db_template import template_ensure, tests_database_exists

    database = settings.DATABASES["default"]
    if django_db_keepdb and not django_db_createdb and tests_database_exists(database):
        return
    database.setdefault("TEST", {})["TEMPLATE"] = template_ensure(database)


def _django_order(item: pytest.Item) -> int:
    """pytest-django's order: database tests in a transaction (0), transactional ones (1), the rest (2)."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transactional = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    transactional = transactional or "transactional_db" in fixtures or "live_server" in fixtures
    if transactional:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first within each of pytest-django's groups (which stay in their order: a test that runs in
    a transaction sees the database as migrated only before any transactional test emptied it). In a parallel
    run the longest tests so start early and end alongside the others rather than last."""
    items.sort(key=lambda item: (_django_order(item), item.get_closest_marker("slow") is None))


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and cached values live in the real Redis; each test starts from a clean slate. The
    # directory's per-process memo of the cache version goes too: left over from an earlier test it would
    # outlive the version key it remembers and make a cached page look missing a second later.
    cache.clear()
    directory_cache.forget_version()
    yield


@pytest.fixture
def client_user(db):
    return UserFactory()


@pytest.fixture
def other_client_user(db):
    return UserFactory()


@pytest.fixture
def reader_user(db):
    return ReaderFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def admin_client(client, admin_user):
    """A Django test client signed in as an admin who has TOTP set up (admins must)."""
    from apps.accounts.tests.factories import give_totp

    give_totp(admin_user)
    client.force_login(admin_user)
    return client


@pytest.fixture
def starting_taxonomy(db):
    """The specialties, tools and languages the readers data migration ships, as on a fresh install.

    Transactional tests empty every table after they run, and the test database is reused between runs, so the
    rows the migration wrote may be gone: this runs the migration's own (idempotent) function again.
    """
    import importlib

    from django.apps import apps

    migration = importlib.import_module("apps.readers.migrations.0004_starting_taxonomy")
    migration.add_starting_taxonomy(apps, None)
