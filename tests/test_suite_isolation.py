"""How tests stay apart. The suite runs in parallel (``pytest -n``): every worker has its own PostgreSQL test
database (pytest-django) and its own Redis database, derived from ``REDIS_URL`` in the test settings, for the
cache, the rate limits and the Celery broker. After a transactional test the root conftest empties every table
that has rows (instead of truncating them all)."""

import os
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction

from apps.accounts.tests.factories import UserFactory
from apps.wallet.models import Posting
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account
from config.celery import app as celery_app
from config.settings.test import worker_redis_url
from conftest import KEPT_TABLES, _app_post_migrate, _empty_tables


@pytest.mark.parametrize(
    ("worker", "database"),
    [(None, 7), ("", 7), ("gw0", 7), ("gw1", 8), ("gw8", 15), ("gw9", 0), ("gw24", 15), ("master", 7)],
)
def test_worker_redis_url_per_worker_moves_the_database_ahead_within_0_to_15(worker, database):
    # given: a run started on database 7
    url = "redis://127.0.0.1:6379/7"
    # when
    derived = worker_redis_url(url, worker)
    # then
    assert derived == f"redis://127.0.0.1:6379/{database}"


def test_worker_redis_url_without_a_database_counts_from_0():
    # given / when
    derived = worker_redis_url("redis://127.0.0.1:6379", "gw2")
    # then
    assert derived == "redis://127.0.0.1:6379/2"


def test_worker_redis_url_credentials_host_and_options_are_kept():
    # given
    url = "rediss://:s3cret@cache.example.com:6380/3?ssl_cert_reqs=none"
    # when
    derived = worker_redis_url(url, "gw1")
    # then
    assert derived == "rediss://:s3cret@cache.example.com:6380/4?ssl_cert_reqs=none"


def test_settings_cache_and_broker_use_this_workers_redis_database():
    # given: the REDIS_URL this run was started with, and this process' worker (none in a serial run)
    expected = worker_redis_url(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"), os.environ.get("PYTEST_XDIST_WORKER")
    )
    # when: a value is cached
    cache.set("isolation-probe", "here", timeout=30)
    # then: it is in that database of the real Redis, and Celery's broker is the same database
    assert settings.CACHES["default"]["LOCATION"] == settings.CELERY_BROKER_URL == expected
    assert celery_app.conf.broker_url == expected
    assert redis.Redis.from_url(expected).get(cache.make_key("isolation-probe")) is not None


@pytest.mark.django_db
def test_database_each_worker_has_its_own_test_database():
    # given: this process' worker (none in a serial run)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    # when
    name = connection.settings_dict["NAME"]
    # then: pytest-django names the test database after the worker
    assert name.startswith("test_")
    if worker:
        assert name.endswith(f"_{worker}")


@pytest.mark.django_db(transaction=True)
def test_empty_tables_after_ledger_postings_every_table_is_empty_and_the_ledger_stays_append_only():
    # given: committed rows in many tables, the append-only ledger among them
    user = UserFactory()
    transaction_post(
        kind="top_up",
        idempotency_key="suite-isolation:1",
        postings=[(house_account("stripe:cash"), -Decimal("5.00")), (wallet_account(user), Decimal("5.00"))],
        user=user,
    )
    # when
    emptied = _empty_tables(connection)
    # then: every table but those post_migrate keeps is empty
    assert emptied is True
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        for table in sorted(set(tables) - KEPT_TABLES):
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")
            assert cursor.fetchone() == (False,), table
    # and the ledger's triggers are on again: a posting cannot be deleted
    user = UserFactory()
    transaction_post(
        kind="top_up",
        idempotency_key="suite-isolation:2",
        postings=[(house_account("stripe:cash"), -Decimal("1.00")), (wallet_account(user), Decimal("1.00"))],
        user=user,
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Posting._meta.db_table}")


@pytest.mark.django_db(transaction=True)
def test_app_post_migrate_after_emptying_brings_back_the_default_site_and_keeps_content_types():
    # given: every table emptied after a test, as the teardown does
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sites.models import Site

    kinds, permissions = ContentType.objects.count(), Permission.objects.count()
    assert _empty_tables(connection) is True
    assert not Site.objects.exists()
    # when
    _app_post_migrate(connection.alias)
    # then: the site allauth's emails name is back, and the kept tables are as they were
    assert Site.objects.get(pk=settings.SITE_ID)
    assert (ContentType.objects.count(), Permission.objects.count()) == (kinds, permissions)
    assert kinds > 0 and permissions > 0


def test_template_key_changes_with_migrations_code_settings_and_requirements_not_with_tests(tmp_path):
    from tests.support.db_template import template_key

    # given: a project tree
    for relative in (
        "apps/shop/migrations/0001_initial.py",
        "apps/shop/services.py",
        "apps/shop/tests/test_x.py",
        "config/settings/base.py",
        "requirements.txt",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("# v1\n")
    first = template_key(tmp_path)
    # when a test changes, then the key stays; when anything a migration depends on changes, it moves
    (tmp_path / "apps/shop/tests/test_x.py").write_text("# v2\n")
    assert template_key(tmp_path) == first
    keys = {first}
    for relative in (
        "apps/shop/migrations/0001_initial.py",
        "apps/shop/services.py",
        "config/settings/base.py",
        "requirements.txt",
    ):
        (tmp_path / relative).write_text("# v2\n")
        keys.add(template_key(tmp_path))
    assert len(keys) == 5


@pytest.mark.django_db
def test_test_database_is_a_copy_of_the_migrated_template_with_the_ledger_triggers():
    # given: this run's test database
    template = settings.DATABASES["default"]["TEST"].get("TEMPLATE")
    if not template:
        pytest.skip("this run reused its existing test database (--reuse-db without --create-db)")
    with connection.cursor() as cursor:
        # then: the template exists, and the copy holds what the migrations made (the ledger's triggers)
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname = 'wallet_posting_balanced'")
        assert cursor.fetchone() == ("wallet_posting_balanced",)
