"""Fixtures shared by every app's tests."""

import pytest
from django.core.cache import cache

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and cached values live in the real Redis; each test starts from a clean slate.
    cache.clear()
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
